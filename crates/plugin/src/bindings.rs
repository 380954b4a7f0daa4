//! Host bindings of the `understudy:kpi` world, generated from plugins/wit.

wasmtime::component::bindgen!({
    path: "../../plugins/wit",
    world: "kpi",
    ownership: Borrowing { duplicate_if_necessary: true },
});
