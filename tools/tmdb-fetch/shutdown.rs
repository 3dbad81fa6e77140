//! SIGINT and SIGTERM: stop taking new work, drop what is in flight (it was not written, so a
//! resumed run fetches it), flush, print the summary, and exit 128 + the signal number.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Notify;

#[derive(Debug, Default)]
pub struct Shutdown {
    signal: AtomicI32,
    notify: Notify,
}

impl Shutdown {
    /// Starts listening for SIGINT and SIGTERM (inside the runtime).
    pub fn listen() -> std::io::Result<Arc<Shutdown>> {
        let shutdown = Arc::new(Shutdown::default());
        for (kind, number) in [(SignalKind::interrupt(), 2), (SignalKind::terminate(), 15)] {
            let mut stream = signal(kind)?;
            let shutdown = Arc::clone(&shutdown);
            tokio::spawn(async move {
                if stream.recv().await.is_some() {
                    let _ = shutdown.signal.compare_exchange(
                        0,
                        number,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                    shutdown.notify.notify_waiters();
                }
            });
        }
        Ok(shutdown)
    }

    /// The signal that asked us to stop, if any.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// Resolves once a stop was asked for.
    pub async fn requested(&self) {
        let notified = self.notify.notified();
        if self.signal().is_some() {
            return;
        }
        notified.await;
    }
}
