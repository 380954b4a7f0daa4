//! Ctrl-C and SIGTERM as a request to finish: the commands that write a
//! recording (`record`, `simulate`) close it and say what they wrote,
//! instead of dying with the journal unsealed.
//!
//! The handlers are installed when a [`Stop`] is made, before the command
//! creates anything: a signal that arrives while it is still starting is
//! held until the command looks, rather than killing it half-way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

/// The stop signals, listened to from creation on.
#[derive(Debug)]
pub struct Stop {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Stop {
    /// Installs the handlers. Needs a tokio runtime with I/O enabled.
    pub fn listen() -> Result<Stop> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Stop {
                interrupt: signal(SignalKind::interrupt())
                    .context("failed to listen for Ctrl-C")?,
                terminate: signal(SignalKind::terminate())
                    .context("failed to listen for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Stop {})
    }

    /// Waits for Ctrl-C, SIGTERM or the end of `duration`, and says which.
    pub async fn wait(&mut self, duration: Option<Duration>) -> &'static str {
        let deadline = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        #[cfg(unix)]
        {
            tokio::select! {
                _ = deadline => "duration reached",
                _ = self.interrupt.recv() => "interrupted",
                _ = self.terminate.recv() => "terminated",
            }
        }
        #[cfg(not(unix))]
        {
            tokio::select! {
                _ = deadline => "duration reached",
                _ = tokio::signal::ctrl_c() => "interrupted",
            }
        }
    }
}

/// For synchronous work that checks a flag as it goes (the simulator): a
/// thread waits for the signals and raises the flag.
#[derive(Debug, Clone)]
pub struct StopFlag {
    flag: Arc<AtomicBool>,
    why: Arc<std::sync::OnceLock<&'static str>>,
}

impl StopFlag {
    /// Starts the waiting thread; returns once the handlers are installed.
    pub fn listen() -> Result<StopFlag> {
        let stop = StopFlag {
            flag: Arc::new(AtomicBool::new(false)),
            why: Arc::new(std::sync::OnceLock::new()),
        };
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let raise = stop.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(anyhow::Error::new(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let mut signals = match Stop::listen() {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let why = signals.wait(None).await;
                    let _ = raise.why.set(why);
                    raise.flag.store(true, Ordering::Relaxed);
                });
            })
            .context("failed to start the signal thread")?;
        ready
            .recv()
            .context("the signal thread stopped")?
            .context("failed to listen for signals")?;
        Ok(stop)
    }

    /// Set once a stop signal arrived.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    /// `interrupted` or `terminated`, once a signal arrived.
    pub fn why(&self) -> Option<&'static str> {
        self.why.get().copied()
    }
}
