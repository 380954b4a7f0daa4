//! Live KPI plugins in the recorder: each `[[plugin]]` handed to the plugin
//! crate's live runner, which keeps the window of recent samples.

use understudy_plugin::LiveSpec;
pub use understudy_plugin::{LatestOutput, LivePlugins};

use crate::config::PluginConfig;

impl From<&PluginConfig> for LiveSpec {
    fn from(c: &PluginConfig) -> LiveSpec {
        LiveSpec {
            path: c.path.clone(),
            config: c
                .config
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            interval: c.interval,
        }
    }
}
