//! The per-frame work that draws nothing: fold task events and background results into the state,
//! follow the SSH alias preview and the profiles file, drop questions nobody waits for.

use super::App;

impl App {
    /// Everything a frame does before drawing (never blocks).
    pub(super) fn run_logic(&mut self, ctx: &egui::Context) {
        if !self.fonts_installed {
            super::install_fonts(ctx);
            self.fonts_installed = true;
        }
        self.background.set_context(ctx);
        self.drain_events();
        self.drain_background();
        self.refresh_alias_preview();
        self.follow_store(ctx);
        // A task that stopped waiting (cancelled, timed out) no longer needs an answer.
        self.state.host_keys.retain(|q| q.reply.is_pending());
        self.state.secret_prompts.retain(|q| q.reply.is_pending());
    }

    /// Fold every pending task event into the state (never blocks).
    pub fn drain_events(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            if self.state.audit.owns(event.task()) {
                self.audit_event(event);
            } else {
                self.state.apply(event);
            }
        }
        self.save_setup_record();
        self.forget_torn_down_records();
    }
}
