//! A kube-rs client the way kube-rs users configure one: a kubeconfig
//! (`kubeconfig`, `KUBECONFIG`, `~/.kube/config`) and context, else the
//! in-cluster service account.

use kube::config::{KubeConfigOptions, Kubeconfig};
use understudy_core::SourceError;

use crate::config::KubeConfig;

/// The client and the API server's URL (for messages). TLS goes through
/// rustls, whose crypto provider the binary installs at start-up.
pub async fn connect(config: &KubeConfig) -> Result<(kube::Client, String), SourceError> {
    let options = KubeConfigOptions {
        context: config.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut kube_config = match (&config.kubeconfig, &config.context) {
        (Some(path), _) => {
            let file = Kubeconfig::read_from(path).map_err(|e| {
                SourceError::Fatal(format!("kubeconfig {}: {e}", path.display()))
            })?;
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|e| SourceError::Fatal(format!("kubeconfig {}: {e}", path.display())))?
        }
        (None, Some(context)) => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|e| SourceError::Fatal(format!("kubeconfig context {context:?}: {e}")))?,
        (None, None) => kube::Config::infer().await.map_err(|e| {
            SourceError::Fatal(format!(
                "no cluster to record: {e} (set kubeconfig in [[source.kubernetes]], KUBECONFIG, or run in a pod with a service account)"
            ))
        })?,
    };
    kube_config.connect_timeout = Some(config.timeout);
    let url = kube_config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned();
    let client = kube::Client::try_from(kube_config)
        .map_err(|e| SourceError::Fatal(format!("Kubernetes client for {url}: {e}")))?;
    Ok((client, url))
}

/// Whether the error means the API server could not be reached or talked
/// to (a gap), rather than an answer it gave.
pub fn is_transport(e: &kube::Error) -> bool {
    !matches!(
        e,
        kube::Error::Api(_) | kube::Error::SerdeError(_) | kube::Error::Discovery(_)
    )
}
