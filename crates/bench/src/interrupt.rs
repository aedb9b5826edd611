//! Ctrl-C as a flag both phases can poll and a future they can wait on.
//!
//! The first Ctrl-C asks the phase in progress to stop after the requests in flight (the
//! measured phase then prints its summary as usual; the load phase ends the run with
//! [`crate::BenchError::Interrupted`]). A second Ctrl-C exits at once with status 130, the
//! shell's convention for SIGINT.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Whether Ctrl-C was pressed.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    pressed: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Interrupt {
    /// Starts listening for Ctrl-C (SIGINT). Must be called inside a tokio runtime. From then on
    /// SIGINT no longer terminates the process by itself.
    pub fn listen() -> Self {
        let interrupt = Interrupt::default();
        let listener = interrupt.clone();
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if listener.pressed.swap(true, Ordering::AcqRel) {
                    std::process::exit(130);
                }
                listener.notify.notify_waiters();
            }
        });
        interrupt
    }

    /// Presses it, as Ctrl-C would (for tests and embedders).
    pub fn press(&self) {
        self.pressed.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Whether it has been pressed.
    pub fn is_pressed(&self) -> bool {
        self.pressed.load(Ordering::Acquire)
    }

    /// Returns once it has been pressed.
    pub async fn pressed(&self) {
        let notified = self.notify.notified();
        let mut notified = std::pin::pin!(notified);
        // Registered before the check, so a press between the check and the await is not lost.
        notified.as_mut().enable();
        if self.is_pressed() {
            return;
        }
        notified.await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn waiters_wake_when_pressed_and_later_waiters_return_at_once() {
        let interrupt = Interrupt::default();
        let waiter = tokio::spawn({
            let interrupt = interrupt.clone();
            async move { interrupt.pressed().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        interrupt.press();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(interrupt.is_pressed());
        tokio::time::timeout(Duration::from_secs(5), interrupt.pressed())
            .await
            .unwrap();
    }
}
