//! [uPlot](https://github.com/leeoniya/uPlot), vendored (MIT; version,
//! source and digests in `vendor/README.md`): the charts of `understudy
//! analyze --html` and of the replay's stage dashboard. Embedded in the
//! binary, so that neither page needs the network.

/// The vendored release.
pub const VERSION: &str = "1.6.32";
/// `dist/uPlot.iife.min.js`: defines the global `uPlot`.
pub const JS: &str = include_str!("../vendor/uPlot.iife.min.js");
/// `dist/uPlot.min.css`.
pub const CSS: &str = include_str!("../vendor/uPlot.min.css");
/// The MIT licence, shipped with every page that embeds uPlot.
pub const LICENSE: &str = include_str!("../vendor/LICENSE");
