//! Driving the app in kittest like a user, by AccessKit labels: click, type, pick from a combo box,
//! step until something is true. Shared by the UI test modules.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable, by};
use shiftgate::app::App;
use std::time::{Duration, Instant};

/// Click by accessible name (works when scrolled out of view).
pub fn press(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label(label).click_accesskit();
    settle(h);
}

/// Run frames until the UI settles; while a task runs its spinner never does, so stop after a few.
pub fn settle(h: &mut Harness<'_, App>) {
    let _ = h.try_run();
}

/// Replace the text of the field labelled `label`.
pub fn set_field(h: &mut Harness<'_, App>, label: &str, text: &str) {
    h.get_by_label(label).click_accesskit();
    settle(h);
    h.get_by_label(label).focus();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(label).type_text(text);
    settle(h);
}

/// Pick `option` in the combo box labelled `combo`.
pub fn choose(h: &mut Harness<'_, App>, combo: &str, option: &str) {
    h.get_by_label(combo).click();
    settle(h);
    h.get(by().label(option).predicate(|n| n.role() != Role::Label)).click();
    settle(h);
}

/// Step (sleeping between frames) until `done`; answers nothing. Fails after `secs`.
pub fn step_until(
    h: &mut Harness<'_, App>,
    what: &str,
    secs: u64,
    done: impl Fn(&Harness<'_, App>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(h) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(15));
        h.step();
    }
    settle(h);
}
