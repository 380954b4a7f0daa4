//! What publish and consume runs share: their connections, and the loop
//! that reports progress, passes on a shutdown and collects the clients.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::error::RunError;
use understudy_nats::NatsConnect;

/// `first` and `n - 1` more connections, opened concurrently.
pub(crate) async fn connect_all(
    connect: &NatsConnect,
    first: async_nats::Client,
    n: usize,
) -> Result<Vec<async_nats::Client>, RunError> {
    let mut set = JoinSet::new();
    for i in 1..n {
        let c = connect.clone();
        set.spawn(async move { (i, c.connect().await) });
    }
    let mut conns = vec![None; n];
    conns[0] = Some(first);
    while let Some(joined) = set.join_next().await {
        let (i, c) = joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        conns[i] = Some(c?);
    }
    Ok(conns.into_iter().flatten().collect())
}

/// Runs the clients to their end, calling `tick` every 100 ms. When
/// `shutdown` completes first, tells the clients to stop through `stop` and
/// still waits for them (they finish what is in flight); returns what
/// `shutdown` gave, if it did.
pub(crate) async fn drive<T: 'static, R>(
    mut tasks: JoinSet<T>,
    stop: &watch::Sender<bool>,
    shutdown: impl Future<Output = R>,
    mut tick: impl FnMut(),
) -> (Vec<T>, Option<R>) {
    let mut results = Vec::with_capacity(tasks.len());
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut reason = None;
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(r) => results.push(r.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))),
                None => break,
            },
            _ = ticker.tick() => tick(),
            r = &mut shutdown, if reason.is_none() => {
                reason = Some(r);
                let _ = stop.send(true);
            }
        }
    }
    (results, reason)
}
