//! Deny-all stand-ins for the WASI imports that Rust's std links into
//! `wasm32-wasip2` components (stdio for panic messages, environment, exit,
//! and — when a plugin uses them — random seeds, clocks, preopens).
//!
//! No WASI implementation is linked: for each `wasi:*` interface a component
//! imports, exactly the functions it imports are defined here, at the
//! version it imports, and answer as if the plugin ran in an empty world:
//! no environment variables, arguments or preopened directories, closed
//! stdin, clocks stuck at 0, deterministic "random" numbers; stdout/stderr
//! are captured (capped) so that a panic message reaches the trap report.
//! Anything else (files, sockets, `exit`) traps with a message saying the
//! plugin has no such access. Imports outside `wasi:*` and
//! `understudy:kpi/*` are refused at load.

use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, Linker, LinkerInstance, Resource, ResourceType, Val};
use wasmtime::{Engine, StoreContextMut};

use crate::engine::StoreState;

/// Bytes of guest stdout/stderr kept (for panic messages).
pub(crate) const MAX_CAPTURED: usize = 4096;
/// Largest `get-random-bytes` answered.
const MAX_RANDOM_BYTES: u64 = 1 << 20;
/// What `output-stream.check-write` allows per write.
const WRITE_BUDGET: u64 = 4096;

/// What the stand-ins keep per store.
#[derive(Debug, Default)]
pub(crate) struct WasiState {
    /// Captured stdout/stderr of the current call.
    pub(crate) output: Vec<u8>,
    random: u64,
    next_rep: u32,
}

impl WasiState {
    fn capture(&mut self, bytes: &[Val]) {
        let room = MAX_CAPTURED.saturating_sub(self.output.len());
        self.output.extend(
            bytes
                .iter()
                .take(room)
                .filter_map(|b| if let Val::U8(b) = b { Some(*b) } else { None }),
        );
    }

    /// splitmix64 from a fixed seed: reproducible, and no entropy.
    fn next_u64(&mut self) -> u64 {
        self.random = self.random.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stub {
    EmptyList,
    NoneOption,
    NewResource,
    True,
    Unit,
    PollAll,
    DebugString,
    StreamClosed,
    CheckWrite,
    Write,
    OkUnit,
    RandomBytes,
    RandomU64,
    Seed,
    Zero,
    One,
    WallZero,
    WallResolution,
    Deny,
}

fn stub_for(iface: &str, func: &str) -> Stub {
    let method = func.rsplit_once('.').map_or(func, |(_, m)| m);
    match (iface, func) {
        ("wasi:cli/environment", "get-environment" | "get-arguments") => Stub::EmptyList,
        ("wasi:cli/environment", "initial-cwd") => Stub::NoneOption,
        ("wasi:cli/stdin", "get-stdin")
        | ("wasi:cli/stdout", "get-stdout")
        | ("wasi:cli/stderr", "get-stderr") => Stub::NewResource,
        (
            "wasi:cli/terminal-stdin" | "wasi:cli/terminal-stdout" | "wasi:cli/terminal-stderr",
            _,
        ) => Stub::NoneOption,
        ("wasi:io/poll", "[method]pollable.ready") => Stub::True,
        ("wasi:io/poll", "[method]pollable.block") => Stub::Unit,
        ("wasi:io/poll", "poll") => Stub::PollAll,
        ("wasi:io/error", "[method]error.to-debug-string") => Stub::DebugString,
        ("wasi:io/streams", _) if func.starts_with("[method]input-stream.") => match method {
            "subscribe" => Stub::NewResource,
            _ => Stub::StreamClosed,
        },
        ("wasi:io/streams", _) if func.starts_with("[method]output-stream.") => match method {
            "check-write" => Stub::CheckWrite,
            "write" | "blocking-write-and-flush" => Stub::Write,
            "flush" | "blocking-flush" | "write-zeroes" | "blocking-write-zeroes-and-flush" => {
                Stub::OkUnit
            }
            "subscribe" => Stub::NewResource,
            _ => Stub::StreamClosed,
        },
        ("wasi:random/random", "get-random-bytes")
        | ("wasi:random/insecure", "get-insecure-random-bytes") => Stub::RandomBytes,
        ("wasi:random/random", "get-random-u64")
        | ("wasi:random/insecure", "get-insecure-random-u64") => Stub::RandomU64,
        ("wasi:random/insecure-seed", "insecure-seed") => Stub::Seed,
        ("wasi:clocks/monotonic-clock", "now") => Stub::Zero,
        ("wasi:clocks/monotonic-clock", "resolution") => Stub::One,
        ("wasi:clocks/monotonic-clock", "subscribe-instant" | "subscribe-duration") => {
            Stub::NewResource
        }
        ("wasi:clocks/wall-clock", "now") => Stub::WallZero,
        ("wasi:clocks/wall-clock", "resolution") => Stub::WallResolution,
        ("wasi:filesystem/preopens", "get-directories") => Stub::EmptyList,
        ("wasi:filesystem/types", "filesystem-error-code") => Stub::NoneOption,
        _ => Stub::Deny,
    }
}

fn boxed(v: Val) -> Option<Box<Val>> {
    Some(Box::new(v))
}

fn new_resource(store: &mut StoreContextMut<'_, StoreState>) -> wasmtime::Result<Val> {
    let rep = store.data().wasi.next_rep;
    store.data_mut().wasi.next_rep = rep.wrapping_add(1);
    Ok(Val::Resource(
        Resource::<()>::new_own(rep).try_into_resource_any(&mut *store)?,
    ))
}

fn call(
    stub: Stub,
    name: &str,
    mut store: StoreContextMut<'_, StoreState>,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let result = match stub {
        Stub::EmptyList => Val::List(Vec::new()),
        Stub::NoneOption => Val::Option(None),
        Stub::NewResource => new_resource(&mut store)?,
        Stub::True => Val::Bool(true),
        Stub::Unit => return Ok(()),
        Stub::PollAll => {
            let n = match params.first() {
                Some(Val::List(l)) => l.len(),
                _ => 0,
            };
            Val::List(
                (0..u32::try_from(n).unwrap_or(u32::MAX))
                    .map(Val::U32)
                    .collect(),
            )
        }
        Stub::DebugString => Val::String("access denied: plugins run without WASI".into()),
        Stub::StreamClosed => Val::Result(Err(boxed(Val::Variant("closed".into(), None)))),
        Stub::CheckWrite => Val::Result(Ok(boxed(Val::U64(WRITE_BUDGET)))),
        Stub::Write => {
            if let Some(Val::List(bytes)) = params.get(1) {
                store.data_mut().wasi.capture(bytes);
            }
            Val::Result(Ok(None))
        }
        Stub::OkUnit => Val::Result(Ok(None)),
        Stub::RandomBytes => {
            let len = match params.first() {
                Some(Val::U64(n)) => *n,
                _ => 0,
            };
            if len > MAX_RANDOM_BYTES {
                wasmtime::bail!("{name}: {len} random bytes asked, more than {MAX_RANDOM_BYTES}");
            }
            let wasi = &mut store.data_mut().wasi;
            Val::List(
                (0..len)
                    .map(|_| Val::U8(wasi.next_u64().to_le_bytes()[0]))
                    .collect(),
            )
        }
        Stub::RandomU64 => Val::U64(store.data_mut().wasi.next_u64()),
        Stub::Seed => Val::Tuple(vec![
            Val::U64(0x0123_4567_89ab_cdef),
            Val::U64(0xfedc_ba98_7654_3210),
        ]),
        Stub::Zero => Val::U64(0),
        Stub::One => Val::U64(1),
        Stub::WallZero => Val::Record(vec![
            ("seconds".into(), Val::U64(0)),
            ("nanoseconds".into(), Val::U32(0)),
        ]),
        Stub::WallResolution => Val::Record(vec![
            ("seconds".into(), Val::U64(0)),
            ("nanoseconds".into(), Val::U32(1)),
        ]),
        Stub::Deny => {
            wasmtime::bail!(
                "{name}: plugins have no filesystem, network, environment, clock or process access"
            )
        }
    };
    match results.first_mut() {
        Some(slot) => *slot = result,
        None => wasmtime::bail!("{name}: unexpected signature"),
    }
    Ok(())
}

fn define_func(
    inst: &mut LinkerInstance<'_, StoreState>,
    iface: &str,
    func: &str,
) -> wasmtime::Result<()> {
    let stub = stub_for(iface, func);
    let name = format!("{iface}#{func}");
    inst.func_new(
        func,
        move |mut store, _ty: ComponentFunc, params, results| {
            // Borrowed handles lent to a host function must be given back
            // before it returns.
            for p in params {
                if let Val::Resource(r) = p
                    && !r.owned()
                {
                    r.resource_drop(&mut store)?;
                }
            }
            call(stub, &name, store, params, results)
        },
    )
}

/// Adds to `linker` the stand-ins for the `wasi:*` imports of `component`;
/// refuses any other import but `understudy:kpi/*`.
pub(crate) fn link(
    linker: &mut Linker<StoreState>,
    component: &Component,
    engine: &Engine,
) -> Result<(), String> {
    let ty = component.component_type();
    for (name, import) in ty.imports(engine) {
        let iface = name.split_once('@').map_or(name, |(i, _)| i);
        if iface.starts_with("understudy:kpi/") {
            continue;
        }
        let ComponentItem::ComponentInstance(instance) = &import.ty else {
            return Err(format!("it imports {name}, which is not an interface"));
        };
        if !iface.starts_with("wasi:") {
            return Err(format!(
                "it imports {name}, which this host does not provide (plugins may import only understudy:kpi/host)"
            ));
        }
        let mut inst = linker
            .instance(name)
            .map_err(|e| format!("cannot stub {name}: {e}"))?;
        for (item, item_ty) in instance.exports(engine) {
            let defined = match item_ty.ty {
                ComponentItem::Resource(_) => {
                    inst.resource(item, ResourceType::host::<()>(), |_, _| Ok(()))
                }
                ComponentItem::ComponentFunc(_) => define_func(&mut inst, iface, item),
                _ => Ok(()),
            };
            defined.map_err(|e| format!("cannot stub {name}#{item}: {e}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stubs_by_name() {
        assert_eq!(
            stub_for("wasi:cli/environment", "get-environment"),
            Stub::EmptyList
        );
        assert_eq!(
            stub_for(
                "wasi:io/streams",
                "[method]output-stream.blocking-write-and-flush"
            ),
            Stub::Write
        );
        assert_eq!(
            stub_for("wasi:io/streams", "[method]input-stream.blocking-read"),
            Stub::StreamClosed
        );
        assert_eq!(
            stub_for("wasi:filesystem/types", "[method]descriptor.open-at"),
            Stub::Deny
        );
        assert_eq!(stub_for("wasi:cli/exit", "exit"), Stub::Deny);
        assert_eq!(
            stub_for("wasi:sockets/tcp", "[method]tcp-socket.connect"),
            Stub::Deny
        );
    }

    #[test]
    fn random_is_reproducible() {
        let (mut a, mut b) = (WasiState::default(), WasiState::default());
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], xs[1]);
    }

    #[test]
    fn capture_is_capped() {
        let mut w = WasiState::default();
        w.capture(&vec![Val::U8(b'x'); MAX_CAPTURED + 10]);
        w.capture(&[Val::U8(b'y')]);
        assert_eq!(w.output.len(), MAX_CAPTURED);
    }
}
