//! Driving the app in kittest like a user, by AccessKit labels: click, type, pick from a combo box,
//! step until something is true, click and read the clipboard. Plus the parts every UI test
//! builds a window from: a [`Fixture`] (config dir + memory secret store), a [`FakePicker`], a
//! [`NoBackend`], and [`window`]. Shared by the UI test modules.

use egui::accesskit::Role;
use egui::{Key, Modifiers, OutputCommand, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable, by};
use shiftgate::app::{App, AppDeps, FilePicker};
use shiftgate::profile::{Engine, Profile};
use shiftgate::store::profiles::ProfileStore;
use shiftgate::store::secrets::{MemorySecretStore, SecretKey, SecretStore};
use shiftgate::tasks::{Backend, Command, Event, EventSink, TokioBackend};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// A config dir and a memory secret store, shared by successive app windows.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub secrets: Arc<MemorySecretStore>,
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture { dir: tempfile::tempdir().unwrap(), secrets: Arc::default() }
    }
}

impl Fixture {
    /// The profile store in the fixture's dir, opened afresh.
    pub fn store(&self) -> ProfileStore {
        ProfileStore::open(self.dir.path()).unwrap()
    }

    pub fn seed(&self, profiles: &[Profile]) {
        let mut store = self.store();
        for p in profiles {
            store.upsert(p.clone()).unwrap();
        }
    }

    /// A window on the fixture's store and secrets.
    pub fn window(
        &self,
        size: [f32; 2],
        picker: impl FilePicker + 'static,
        backend: impl FnOnce(Sender<Event>, egui::Context) -> Box<dyn Backend> + 'static,
    ) -> Harness<'static, App> {
        window(size, self.store(), self.secrets.clone(), picker, backend)
    }
}

/// The app on the real backend in a window of `size`, with `admin` saved (its password the harness
/// PostgreSQL superuser's, in the memory store) and opened in the form.
pub fn pg_admin_window(admin: Profile, size: [f32; 2]) -> (Fixture, Harness<'static, App>) {
    let fx = Fixture::default();
    fx.secrets.set(&SecretKey::db_password(&admin.id), super::pg::SUPERUSER_PASSWORD).unwrap();
    let name = admin.name.clone();
    fx.seed(&[admin]);
    let mut h = fx.window(size, FakePicker::default(), real_backend(fx.secrets.clone()));
    h.run();
    click_named(&mut h, &name);
    (fx, h)
}

/// A profile named `name` on `name.example.com` with user `admin`.
pub fn profile(name: &str, engine: Engine) -> Profile {
    let mut p = Profile::new(engine);
    p.name = name.into();
    p.host = format!("{name}.example.com");
    p.user = "admin".into();
    p
}

/// The app in a kittest window of `size`: `backend` gets the sending end of the app's events and
/// the window's context. Up to 16 steps per run (background jobs repaint once when they finish).
pub fn window(
    size: [f32; 2],
    store: ProfileStore,
    secrets: Arc<dyn SecretStore>,
    picker: impl FilePicker + 'static,
    backend: impl FnOnce(Sender<Event>, egui::Context) -> Box<dyn Backend> + 'static,
) -> Harness<'static, App> {
    Harness::builder().with_max_steps(16).with_size(vec2(size[0], size[1])).build_eframe(
        move |cc| {
            let (tx, rx) = std::sync::mpsc::channel();
            let deps = AppDeps {
                store,
                secrets,
                backend: backend(tx, cc.egui_ctx.clone()),
                events: rx,
                file_picker: Box::new(picker),
            };
            App::new(None, deps)
        },
    )
}

/// Accepts and drops every command: for tests about the window, not tasks.
pub struct NoBackend;

impl Backend for NoBackend {
    fn submit(&mut self, _cmd: Command) {}
}

/// A backend that drops every command (for [`window`]).
pub fn no_backend(_tx: Sender<Event>, _ctx: egui::Context) -> Box<dyn Backend> {
    Box::new(NoBackend)
}

/// The real backend (tasks on the test runtime) resolving secrets from `secrets`, waking the
/// window when a task reports (for [`window`]).
pub fn real_backend(
    secrets: Arc<dyn SecretStore>,
) -> impl FnOnce(Sender<Event>, egui::Context) -> Box<dyn Backend> {
    move |tx, ctx| {
        let sink = EventSink::new(tx, Arc::new(move || ctx.request_repaint()));
        Box::new(TokioBackend::new(super::rt().handle().clone(), sink).with_secrets(secrets))
    }
}

/// Hands out the paths the test set (`None` = the user cancelled).
#[derive(Clone, Default)]
pub struct FakePicker {
    pub ca: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub save_to: Option<PathBuf>,
}

impl FilePicker for FakePicker {
    fn pick_ca_file(&mut self, _current: Option<&Path>) -> Option<PathBuf> {
        self.ca.clone()
    }

    fn save_file(&mut self, _suggested_name: &str) -> Option<PathBuf> {
        self.save_to.clone()
    }

    fn pick_key_file(&mut self, _current: Option<&Path>) -> Option<PathBuf> {
        self.key.clone()
    }
}

/// Click by accessible name (works when scrolled out of view).
pub fn press(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label(label).click_accesskit();
    settle(h);
}

/// Click a widget that starts a real task: a spinner keeps repainting, so only step.
pub fn press_and_step(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_label(label).click_accesskit();
    h.run_steps(2);
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

/// Click into the field labelled `label` with the pointer, select all, type `text`.
pub fn retype(h: &mut Harness<'_, App>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(label).type_text(text);
    h.run();
}

/// Pick `option` in the combo box labelled `combo`.
pub fn choose(h: &mut Harness<'_, App>, combo: &str, option: &str) {
    h.get_by_label(combo).click();
    settle(h);
    h.get(by().label(option).predicate(|n| n.role() != Role::Label)).click();
    settle(h);
}

/// Click a node with exactly this name that is not a plain text label: e.g. a profile row.
pub fn click_named(h: &mut Harness<'_, App>, name: &str) {
    h.get(by().label(name).predicate(|n| n.role() != Role::Label)).click();
    h.run();
}

/// The value (text) of the widget labelled `label`.
pub fn value(h: &Harness<'_, App>, label: &str) -> String {
    h.get_by_label(label).value().unwrap_or_default()
}

/// Click and return what the click put on the clipboard, looking at the output of each frame
/// (the copy command is only in the frame that handled the click).
pub fn click_and_copy(h: &mut Harness<'_, App>, label: &str) -> Option<String> {
    h.get_by_label(label).click_accesskit();
    for _ in 0..5 {
        h.step();
        let copied = h.output().platform_output.commands.iter().find_map(|c| match c {
            OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        });
        if copied.is_some() {
            h.run();
            return copied;
        }
    }
    None
}

/// Step (sleeping between frames) until `done`; answers nothing. Fails after `secs`, printing
/// the app's log.
pub fn step_until(
    h: &mut Harness<'_, App>,
    what: &str,
    secs: u64,
    done: impl Fn(&Harness<'_, App>) -> bool,
) {
    step_until_quiet(h, what, secs, done);
    settle(h);
}

/// [`step_until`] without settling afterwards (the frames a spinner keeps asking for are left).
pub fn step_until_quiet(
    h: &mut Harness<'_, App>,
    what: &str,
    secs: u64,
    done: impl Fn(&Harness<'_, App>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(h) {
        if Instant::now() > deadline {
            let log: Vec<String> = h.state().state().log.iter().map(|l| l.text.clone()).collect();
            panic!("timed out waiting for {what}; log:\n{}", log.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(15));
        h.step();
    }
}
