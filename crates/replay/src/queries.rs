//! Where queries run: at most `max_concurrency` at once, the rest waiting
//! in line, each on a thread of its own with a stack deep enough for the
//! deepest expression the engine accepts, each with a timeout that counts
//! its wait, a sample limit, and cancelled when its client goes away.
//!
//! Prometheus bounds the memory of its queries the same way
//! (`--query.max-concurrency`, `--query.max-samples`, `--query.timeout`):
//! at most `max_concurrency × max_samples` samples and points are held by
//! queries at any time, on top of the recording.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use understudy_promql::{DEFAULT_MAX_SAMPLES, EVAL_STACK_BYTES, Engine, QueryError};

/// Query limits, with Prometheus 2.42's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryLimits {
    /// `--query.timeout`: from arrival, queueing included.
    pub timeout: Duration,
    /// `--query.max-concurrency`: queries evaluated at once.
    pub max_concurrency: usize,
    /// `--query.max-samples`: samples and points one query may hold at once.
    pub max_samples: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            timeout: Duration::from_secs(120),
            max_concurrency: 20,
            max_samples: DEFAULT_MAX_SAMPLES,
        }
    }
}

/// Runs queries within [`QueryLimits`].
#[derive(Debug)]
pub struct Queries {
    limits: QueryLimits,
    gate: Arc<Semaphore>,
    engine: Engine,
}

impl Queries {
    /// Queries run by `engine` within `limits`, at most
    /// `limits.max_concurrency` at once; the others wait for a place, within
    /// their timeout.
    pub fn new(limits: QueryLimits, engine: Engine) -> Queries {
        Queries {
            gate: Arc::new(Semaphore::new(limits.max_concurrency.max(1))),
            limits,
            engine,
        }
    }

    /// The engine settings queries run with (lookback, limits).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs `f` on a query thread once a slot is free. `f` gets an engine
    /// whose deadline is what is left of the timeout and which stops when
    /// the returned future is dropped.
    pub async fn run<T, F>(&self, f: F) -> Result<T, QueryError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, QueryError> + Send + 'static,
    {
        self.run_holding(f).await.map(|(v, _slot)| v)
    }

    /// [`Queries::run`], giving back the query's slot with its answer: an
    /// answer still being written to a client holds memory, so it keeps
    /// its slot until it is written (or the client is gone).
    pub async fn run_holding<T, F>(&self, f: F) -> Result<(T, Slot), QueryError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, QueryError> + Send + 'static,
    {
        let arrived = Instant::now();
        let permit =
            match tokio::time::timeout(self.limits.timeout, Arc::clone(&self.gate).acquire_owned())
                .await
            {
                Ok(Ok(permit)) => permit,
                Ok(Err(_)) => return Err(QueryError::Canceled("query queue".to_string())),
                Err(_) => return Err(QueryError::Timeout("query queue".to_string())),
            };
        let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
        let engine = Engine {
            timeout: self.limits.timeout.saturating_sub(arrived.elapsed()),
            max_samples: self.limits.max_samples,
            cancel: Some(Arc::clone(&cancel.0)),
            ..self.engine.clone()
        };
        let (tx, rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("understudy-query".to_string())
            .stack_size(EVAL_STACK_BYTES)
            .spawn(move || {
                // The slot stays taken until evaluation really stops, even
                // when nobody waits for the answer any more.
                let answer = f(&engine).map(|v| (v, Slot(permit)));
                let _ = tx.send(answer);
            })
            .map_err(|e| QueryError::Execution(format!("could not start a query thread: {e}")))?;
        rx.await.unwrap_or_else(|_| {
            Err(QueryError::Execution(
                "query evaluation failed unexpectedly".to_string(),
            ))
        })
    }
}

/// One of the `max_concurrency` places of a query; free when dropped.
#[derive(Debug)]
pub struct Slot(#[expect(dead_code, reason = "held for its drop")] OwnedSemaphorePermit);

#[cfg(test)]
impl Slot {
    /// A slot of a gate of its own.
    pub(crate) fn detached() -> Slot {
        let gate = Arc::new(Semaphore::new(1));
        Slot(gate.try_acquire_owned().expect("a fresh gate has a place"))
    }
}

/// Tells the evaluation to stop when the request it serves is dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queries(max_concurrency: usize, timeout: Duration) -> Queries {
        Queries::new(
            QueryLimits {
                timeout,
                max_concurrency,
                ..QueryLimits::default()
            },
            Engine::default(),
        )
    }

    #[tokio::test]
    async fn a_query_waits_for_a_slot_and_times_out_in_the_queue() {
        let q = Arc::new(queries(1, Duration::from_millis(300)));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let q = Arc::clone(&q);
            async move {
                q.run(move |_| {
                    let _ = hold.recv();
                    Ok(())
                })
                .await
            }
        });
        // Wait until the first query holds the only slot.
        while q.gate.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let waited = q.run(|_| Ok(())).await;
        assert_eq!(waited, Err(QueryError::Timeout("query queue".to_string())));
        release.send(()).expect("the query ran");
        assert_eq!(busy.await.expect("the query ran"), Ok(()));
        assert_eq!(q.run(|_| Ok(7)).await, Ok(7));
    }

    #[tokio::test]
    async fn an_answer_keeps_its_slot_until_it_is_written() {
        let q = queries(1, Duration::from_millis(200));
        let (answer, slot) = q.run_holding(|_| Ok(1)).await.expect("the query ran");
        assert_eq!(answer, 1);
        assert_eq!(
            q.run(|_| Ok(2)).await,
            Err(QueryError::Timeout("query queue".to_string()))
        );
        drop(slot);
        assert_eq!(q.run(|_| Ok(3)).await, Ok(3));
    }

    #[tokio::test]
    async fn a_dropped_request_cancels_its_evaluation() {
        let q = queries(2, Duration::from_secs(60));
        let (seen, saw) = std::sync::mpsc::channel();
        let run = q.run(move |engine| {
            let flag = engine.cancel.clone().expect("the query ran");
            while !flag.load(Ordering::Relaxed) {
                std::thread::yield_now();
            }
            seen.send(()).expect("the query ran");
            Ok(())
        });
        // Start it, then drop it as a disconnecting client's handler is.
        let _ = tokio::time::timeout(Duration::from_millis(50), run).await;
        saw.recv_timeout(Duration::from_secs(10))
            .expect("the evaluation saw the cancellation");
    }

    #[tokio::test]
    async fn deep_expressions_evaluate_on_the_query_thread() {
        let q = queries(2, Duration::from_secs(60));
        let chain = format!("1{}", " + 1".repeat(understudy_promql::MAX_NESTING - 1));
        let storage = understudy_promql::MemStorage::default();
        let v = q
            .run(move |engine| engine.instant(&storage, &chain, 0))
            .await
            .expect("the query ran");
        let understudy_promql::Value::Scalar { v, .. } = v else {
            panic!("a scalar");
        };
        assert_eq!(v, understudy_promql::MAX_NESTING as f64);
    }
}
