//! The profile store: `profiles.toml` in the config directory, with a `schema_version`, atomic
//! writes, and a uniquely named backup when the file can't be read. It never holds a secret.
//!
//! Several processes may use the file at once (the window, `shiftgate profiles add` in a script, a
//! second window). Every change therefore happens under an advisory lock on `profiles.toml.lock`
//! (beside the file), applied to a fresh read of the file as one per-profile operation (upsert,
//! rename, delete by id): a writer never writes back its whole in-memory copy. A save of a profile
//! that changed in the file since this process last saw it is refused with
//! [`StoreError::Conflict`], carrying both versions, so the caller can let the user pick.
//!
//! A file written by a newer Shiftgate (`schema_version` above ours) is read when it parses, never
//! moved aside, and never written. Keys this version does not know (top-level and per profile) are
//! kept on every write.

use super::atomic::write_atomic;
use serde::{Deserialize, Serialize};
use shiftgate_core::import::apply::{ImportWrite, unique_name};
use shiftgate_core::profile::{Profile, ProfileId};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Version of the file layout this build writes.
pub const SCHEMA_VERSION: u32 = 1;
pub const FILE_NAME: &str = "profiles.toml";
/// The advisory lock every writer holds while it reads, changes and replaces `profiles.toml`.
pub const LOCK_FILE_NAME: &str = "profiles.toml.lock";
/// Environment variable that overrides the config directory (tests, portable installs).
pub const CONFIG_DIR_ENV: &str = "SHIFTGATE_CONFIG_DIR";
/// How long a writer waits for the lock before giving up with [`StoreError::LockTimeout`].
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// Overrides [`LOCK_TIMEOUT`] in milliseconds (tests).
pub const LOCK_TIMEOUT_ENV: &str = "SHIFTGATE_LOCK_TIMEOUT_MS";

const HEADER: &str = "# Shiftgate connection profiles. Passwords are never stored here (OS keychain or asked each time).\n";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("could not encode profiles: {0}")]
    Encode(String),
    #[error("no profile named or with id \"{0}\"")]
    NotFound(String),
    #[error("a profile named \"{0}\" already exists")]
    DuplicateName(String),
    #[error("no config directory could be determined; set {CONFIG_DIR_ENV}")]
    NoConfigDir,
    /// The file's `schema_version` is above ours: it is read-only for this build.
    #[error("profiles.toml was written by Shiftgate {0} or newer; this version will not change it")]
    NewerVersion(String),
    #[error(
        "gave up after {:.1} s waiting for the lock {path}: another Shiftgate process is writing \
         profiles or hangs holding it (close it and try again)",
        .waited.as_secs_f64()
    )]
    LockTimeout { path: PathBuf, waited: Duration },
    #[error("could not lock {path}: {source}")]
    Lock { path: PathBuf, source: std::io::Error },
    /// The profile was changed (or deleted) in the file since this process loaded it.
    #[error("{}", .0.describe())]
    Conflict(Box<Conflict>),
    /// A change given to [`ProfileStore::update`] refused the profile.
    #[error("{0}")]
    Invalid(String),
}

/// A save that would overwrite a change made elsewhere. Nothing was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub id: ProfileId,
    /// What this process tried to save.
    pub mine: Profile,
    /// The version in the file now; `None` when it was deleted elsewhere.
    pub theirs: Option<Profile>,
    /// A delete, not a save: `mine` is the version this process last saw and meant to delete.
    pub deleting: bool,
}

impl Conflict {
    pub fn describe(&self) -> String {
        if self.deleting {
            return format!(
                "\"{}\" was changed elsewhere (another window or the command line) since it was \
                 loaded; it was not deleted",
                self.mine.display_name()
            );
        }
        match &self.theirs {
            Some(_) => format!(
                "\"{}\" was changed elsewhere (another window or the command line) since it was loaded",
                self.mine.display_name()
            ),
            None => format!(
                "\"{}\" was deleted elsewhere (another window or the command line) since it was loaded",
                self.mine.display_name()
            ),
        }
    }
}

/// What [`ProfileStore::import_each`] did with one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    /// Written, as this profile (a new one may have been renamed).
    Written(Profile),
    /// Not written: the file no longer holds what the entry was planned against.
    Conflict { theirs: Option<Profile>, reason: String },
}

/// What happened when the store was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadNotice {
    /// The file was unreadable and moved aside; the user should be told where.
    MovedAside { backup: PathBuf, reason: String },
    /// The file was written by a newer Shiftgate: it is shown but never written.
    ReadOnly { message: String, reason: Option<String> },
}

impl LoadNotice {
    /// One sentence for a person.
    pub fn describe(&self) -> String {
        match self {
            LoadNotice::MovedAside { backup, reason } => format!(
                "The profiles file could not be read ({reason}). It was moved to {} and Shiftgate \
                 started with no profiles.",
                backup.display()
            ),
            LoadNotice::ReadOnly { message, reason: None } => format!("{message}."),
            LoadNotice::ReadOnly { message, reason: Some(why) } => {
                format!("{message}; its profiles could not be read either ({why}).")
            }
        }
    }

    /// The backup file, when the notice names one.
    pub fn backup(&self) -> Option<&Path> {
        match self {
            LoadNotice::MovedAside { backup, .. } => Some(backup),
            LoadNotice::ReadOnly { .. } => None,
        }
    }
}

#[derive(Deserialize)]
struct FileIn {
    schema_version: u32,
    #[serde(default)]
    written_by: Option<String>,
    #[serde(default, rename = "profile")]
    profiles: Vec<Profile>,
}

#[derive(Deserialize)]
struct HeaderIn {
    schema_version: u32,
    #[serde(default)]
    written_by: Option<String>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    schema_version: u32,
    written_by: &'a str,
    #[serde(rename = "profile")]
    profiles: &'a [Profile],
}

/// One step of a path into the TOML document (a key, or an index into an array).
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Keys this build does not know, with their values, so a write keeps them.
#[derive(Debug, Clone, Default, PartialEq)]
struct Unknown {
    /// Top-level keys other than `schema_version`, `written_by` and `profile`.
    top: Vec<(Vec<Seg>, toml::Value)>,
    /// Per profile id: paths inside that profile's table.
    profiles: HashMap<ProfileId, Vec<(Vec<Seg>, toml::Value)>>,
}

impl Unknown {
    fn is_empty(&self) -> bool {
        self.top.is_empty() && self.profiles.is_empty()
    }
}

/// A successfully parsed file.
struct Parsed {
    schema_version: u32,
    written_by: Option<String>,
    profiles: Vec<Profile>,
    unknown: Unknown,
}

/// What is in `profiles.toml` right now.
enum OnDisk {
    Missing,
    Parsed(Parsed, u64),
    /// `schema_version` above ours; `profiles` is `Err` when they could not be read.
    Newer {
        version: String,
        profiles: Result<Parsed, String>,
        fingerprint: u64,
    },
    Broken {
        bytes: Vec<u8>,
        reason: String,
    },
}

fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Parse the document, noting every key the model ignores; the values of those keys are fetched
/// from a second, generic parse only when there are any (files from other versions).
fn parse_text(text: &str) -> Result<Parsed, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| e.to_string())?;
    let mut ignored: Vec<Vec<Seg>> = Vec::new();
    let file: FileIn = serde_ignored::deserialize(de, |path| ignored.push(segments(&path)))
        .map_err(|e| e.to_string())?;
    let mut unknown = Unknown::default();
    if !ignored.is_empty() {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        for path in ignored {
            let Some(value) = lookup(&doc, &path) else { continue };
            match path.as_slice() {
                [Seg::Key(k), Seg::Index(i), rest @ ..] if k == "profile" && !rest.is_empty() => {
                    if let Some(p) = file.profiles.get(*i) {
                        unknown
                            .profiles
                            .entry(p.id.clone())
                            .or_default()
                            .push((rest.to_vec(), value.clone()));
                    }
                }
                _ => unknown.top.push((path, value.clone())),
            }
        }
    }
    Ok(Parsed {
        schema_version: file.schema_version,
        written_by: file.written_by,
        profiles: file.profiles,
        unknown,
    })
}

fn segments(path: &serde_ignored::Path<'_>) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut p = path;
    loop {
        match p {
            serde_ignored::Path::Root => break,
            serde_ignored::Path::Seq { parent, index } => {
                out.push(Seg::Index(*index));
                p = parent;
            }
            serde_ignored::Path::Map { parent, key } => {
                out.push(Seg::Key(key.clone()));
                p = parent;
            }
            serde_ignored::Path::Some { parent }
            | serde_ignored::Path::NewtypeStruct { parent }
            | serde_ignored::Path::NewtypeVariant { parent } => p = parent,
        }
    }
    out.reverse();
    out
}

fn lookup<'a>(doc: &'a toml::Table, path: &[Seg]) -> Option<&'a toml::Value> {
    let (Seg::Key(first), rest) = path.split_first()? else { return None };
    let mut v = doc.get(first)?;
    for seg in rest {
        v = match (seg, v) {
            (Seg::Key(k), toml::Value::Table(t)) => t.get(k)?,
            (Seg::Index(i), toml::Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Put `value` at `path` inside `table`, creating tables on the way; never replaces a value the
/// model wrote.
fn insert_at(table: &mut toml::Table, path: &[Seg], value: toml::Value) {
    let Some((Seg::Key(first), rest)) = path.split_first() else { return };
    if rest.is_empty() {
        table.entry(first.clone()).or_insert(value);
        return;
    }
    let next = table.entry(first.clone()).or_insert_with(|| match rest[0] {
        Seg::Key(_) => toml::Value::Table(toml::Table::new()),
        Seg::Index(_) => toml::Value::Array(Vec::new()),
    });
    insert_into(next, rest, value);
}

fn insert_into(target: &mut toml::Value, path: &[Seg], value: toml::Value) {
    match (target, path.first()) {
        (toml::Value::Table(t), Some(Seg::Key(_))) => insert_at(t, path, value),
        (toml::Value::Array(a), Some(Seg::Index(i))) => {
            if let Some(slot) = a.get_mut(*i) {
                if path.len() == 1 {
                    return;
                }
                insert_into(slot, &path[1..], value);
            }
        }
        _ => {}
    }
}

/// The file's content as bytes, with the unknown keys put back.
fn encode(profiles: &[Profile], unknown: &Unknown) -> Result<String, StoreError> {
    let out =
        FileOut { schema_version: SCHEMA_VERSION, written_by: env!("CARGO_PKG_VERSION"), profiles };
    let body = if unknown.is_empty() {
        toml::to_string_pretty(&out).map_err(|e| StoreError::Encode(e.to_string()))?
    } else {
        let mut doc = toml::Table::try_from(&out).map_err(|e| StoreError::Encode(e.to_string()))?;
        for (path, value) in &unknown.top {
            insert_at(&mut doc, path, value.clone());
        }
        if let Some(toml::Value::Array(rows)) = doc.get_mut("profile") {
            for (row, p) in rows.iter_mut().zip(profiles) {
                if let (Some(extra), toml::Value::Table(t)) = (unknown.profiles.get(&p.id), row) {
                    for (path, value) in extra {
                        insert_at(t, path, value.clone());
                    }
                }
            }
        }
        toml::to_string_pretty(&doc).map_err(|e| StoreError::Encode(e.to_string()))?
    };
    Ok(format!("{HEADER}{body}"))
}

/// Read and classify the file (no lock needed: writers replace it atomically).
fn read_disk(path: &Path) -> Result<OnDisk, StoreError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OnDisk::Missing),
        Err(e) => return Err(StoreError::Read { path: path.to_path_buf(), source: e }),
    };
    let print = fingerprint(&bytes);
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => return Ok(OnDisk::Broken { reason: format!("not UTF-8 text ({e})"), bytes }),
    };
    match parse_text(text) {
        Ok(parsed) if parsed.schema_version > SCHEMA_VERSION => {
            let version = newer_label(parsed.schema_version, parsed.written_by.as_deref());
            Ok(OnDisk::Newer { version, profiles: Ok(parsed), fingerprint: print })
        }
        Ok(parsed) => Ok(OnDisk::Parsed(parsed, print)),
        Err(reason) => match toml::from_str::<HeaderIn>(text) {
            Ok(h) if h.schema_version > SCHEMA_VERSION => Ok(OnDisk::Newer {
                version: newer_label(h.schema_version, h.written_by.as_deref()),
                profiles: Err(reason),
                fingerprint: print,
            }),
            _ => Ok(OnDisk::Broken { bytes, reason }),
        },
    }
}

/// How the refusal names the newer Shiftgate: its version when the file says, else its format.
fn newer_label(schema: u32, written_by: Option<&str>) -> String {
    match written_by.map(str::trim).filter(|w| !w.is_empty()) {
        Some(v) => v.to_string(),
        None => format!("(file format {schema})"),
    }
}

/// Copy `bytes` to a new `profiles.toml.broken-<time>[-n]` beside `path`, never over an existing
/// file, then remove `path`. Returns the backup's path.
fn move_aside(path: &Path, bytes: &[u8]) -> Result<PathBuf, StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!("[year][month][day]-[hour][minute][second]"))
        .unwrap_or_else(|_| "unknown-time".into());
    let base = format!("{FILE_NAME}.broken-{stamp}");
    for n in 1..10_000u32 {
        let name = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let backup = dir.join(name);
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = match opts.open(&backup) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::Write { path: backup, source: e }),
        };
        let written = f.write_all(bytes).and_then(|()| f.sync_all());
        if let Err(e) = written {
            drop(f);
            let _ = fs::remove_file(&backup);
            return Err(StoreError::Write { path: backup, source: e });
        }
        fs::remove_file(path)
            .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })
            .map_err(|e| StoreError::Write { path: path.to_path_buf(), source: e })?;
        return Ok(backup);
    }
    Err(StoreError::Write {
        path: dir.join(base),
        source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "too many backups"),
    })
}

fn lock_timeout() -> Duration {
    std::env::var(LOCK_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(LOCK_TIMEOUT, Duration::from_millis)
}

/// The store's advisory lock, held until dropped (or until the process dies: a killed writer
/// never leaves the store locked).
pub struct StoreLock {
    _file: File,
}

fn acquire_lock(lock_path: &Path, timeout: Duration) -> Result<StoreLock, StoreError> {
    if let Some(dir) = lock_path.parent() {
        super::atomic::create_private_dir_all(dir)
            .map_err(|e| StoreError::Write { path: dir.to_path_buf(), source: e })?;
    }
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(lock_path)
        .map_err(|e| StoreError::Lock { path: lock_path.to_path_buf(), source: e })?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(StoreLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(StoreError::Lock { path: lock_path.to_path_buf(), source: e });
            }
        }
        if start.elapsed() >= timeout {
            return Err(StoreError::LockTimeout { path: lock_path.to_path_buf(), waited: timeout });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

/// Whether process `pid` still exists. Only Linux can tell without `unsafe` (`/proc/<pid>`); elsewhere
/// every writer counts as alive, so nothing is removed.
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") { Path::new("/proc").join(pid.to_string()).exists() } else { true }
}

/// Remove the `.profiles.toml.<pid>.tmp` files that writers killed mid-save left beside `path`
/// (only those whose process is gone: a live one may still be writing its own). Called with the
/// lock held, so no Shiftgate writer is between its temp file and its rename. Returns how many
/// were removed; a file that cannot be removed is left for the next write.
fn remove_stale_temps(path: &Path) -> usize {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let prefix = format!(".{FILE_NAME}.");
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => {
                removed += 1;
                tracing::info!(file = %entry.path().display(), pid, "removed a temp file left by a killed writer");
            }
            Err(e) => {
                tracing::warn!(file = %entry.path().display(), %e, "could not remove a stale temp file")
            }
        }
    }
    removed
}

/// Whether a reload changed what the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloaded {
    Unchanged,
    Changed,
}

/// Profiles in memory plus where they live.
#[derive(Debug)]
pub struct ProfileStore {
    path: PathBuf,
    lock_path: PathBuf,
    profiles: Vec<Profile>,
    unknown: Unknown,
    /// Fingerprint of the file as last read or written (skips reloads of our own writes).
    seen: Option<u64>,
    /// Set when the file comes from a newer Shiftgate: the refusal every write returns.
    read_only: Option<String>,
    pub notice: Option<LoadNotice>,
}

/// The config directory: `$SHIFTGATE_CONFIG_DIR`, else the platform's (e.g. `~/.config/shiftgate`).
pub fn default_config_dir() -> Result<PathBuf, StoreError> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("dev", "Shiftgate", "shiftgate")
        .map(|d| d.config_dir().to_path_buf())
        .ok_or(StoreError::NoConfigDir)
}

/// `name` taken by a profile other than `id` (case-insensitive, trimmed)?
fn name_taken(profiles: &[Profile], id: &ProfileId, name: &str) -> bool {
    !name.trim().is_empty()
        && profiles.iter().any(|p| &p.id != id && p.name.trim().eq_ignore_ascii_case(name.trim()))
}

impl ProfileStore {
    /// Open the store in `dir` (created on first save). An unreadable or unparseable file is moved
    /// to a new `profiles.toml.broken-<timestamp>` and the store starts empty, with a notice saying
    /// so. A file from a newer Shiftgate is left alone and opened read-only.
    pub fn open(dir: &Path) -> Result<ProfileStore, StoreError> {
        let mut store = ProfileStore {
            path: dir.join(FILE_NAME),
            lock_path: dir.join(LOCK_FILE_NAME),
            profiles: Vec::new(),
            unknown: Unknown::default(),
            seen: None,
            read_only: None,
            notice: None,
        };
        match read_disk(&store.path)? {
            OnDisk::Missing => {}
            OnDisk::Parsed(parsed, print) => store.take(parsed, print),
            OnDisk::Newer { .. } => {
                store.reload()?;
            }
            OnDisk::Broken { .. } => {
                // Move it aside under the lock, after reading it again: a writer may have fixed it.
                let _lock = acquire_lock(&store.lock_path, lock_timeout())?;
                match read_disk(&store.path)? {
                    OnDisk::Missing => {}
                    OnDisk::Parsed(parsed, print) => store.take(parsed, print),
                    OnDisk::Newer { .. } => {
                        store.reload()?;
                    }
                    OnDisk::Broken { bytes, reason } => {
                        let backup = move_aside(&store.path, &bytes)?;
                        tracing::warn!(backup = %backup.display(), %reason, "profiles file unreadable; moved aside");
                        store.notice = Some(LoadNotice::MovedAside { backup, reason });
                    }
                }
            }
        }
        Ok(store)
    }

    pub fn open_default() -> Result<ProfileStore, StoreError> {
        ProfileStore::open(&default_config_dir()?)
    }

    fn take(&mut self, parsed: Parsed, print: u64) {
        self.profiles = parsed.profiles;
        self.unknown = parsed.unknown;
        self.seen = Some(print);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// Take the lock every writer holds (waits at most [`LOCK_TIMEOUT`]).
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        acquire_lock(&self.lock_path, lock_timeout())
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// The refusal every write returns, when the file comes from a newer Shiftgate.
    pub fn read_only(&self) -> Option<String> {
        self.read_only.as_ref().map(|v| StoreError::NewerVersion(v.clone()).to_string())
    }

    pub fn get(&self, id: &ProfileId) -> Option<&Profile> {
        self.profiles.iter().find(|p| &p.id == id)
    }

    /// Find by exact id, else by name (case-insensitive).
    pub fn find(&self, name_or_id: &str) -> Option<&Profile> {
        find_in(&self.profiles, name_or_id)
    }

    /// Read the file again if it changed since this store last read or wrote it. A file that no
    /// longer parses leaves the store as it was (the next write moves it aside).
    pub fn reload(&mut self) -> Result<Reloaded, StoreError> {
        match read_disk(&self.path)? {
            OnDisk::Missing => {
                if self.seen.is_none() && self.profiles.is_empty() {
                    return Ok(Reloaded::Unchanged);
                }
                self.profiles.clear();
                self.unknown = Unknown::default();
                self.seen = None;
                self.read_only = None;
                Ok(Reloaded::Changed)
            }
            OnDisk::Parsed(parsed, print) => {
                if self.seen == Some(print) && self.read_only.is_none() {
                    return Ok(Reloaded::Unchanged);
                }
                self.read_only = None;
                if matches!(self.notice, Some(LoadNotice::ReadOnly { .. })) {
                    self.notice = None;
                }
                self.take(parsed, print);
                Ok(Reloaded::Changed)
            }
            OnDisk::Newer { version, profiles, fingerprint } => {
                if self.seen == Some(fingerprint) && self.read_only.is_some() {
                    return Ok(Reloaded::Unchanged);
                }
                let message = StoreError::NewerVersion(version.clone()).to_string();
                let reason = match profiles {
                    Ok(parsed) => {
                        self.take(parsed, fingerprint);
                        None
                    }
                    Err(why) => {
                        self.profiles.clear();
                        self.unknown = Unknown::default();
                        self.seen = Some(fingerprint);
                        Some(why)
                    }
                };
                self.read_only = Some(version);
                self.notice = Some(LoadNotice::ReadOnly { message, reason });
                Ok(Reloaded::Changed)
            }
            OnDisk::Broken { reason, .. } => Err(StoreError::Read {
                path: self.path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, reason),
            }),
        }
    }

    /// Lock, read the file afresh, let `change` edit the profiles, write, unlock. The store then
    /// holds the file as written (changes made elsewhere included).
    fn transact<T>(
        &mut self,
        change: impl FnOnce(&mut Vec<Profile>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if let Some(v) = &self.read_only {
            return Err(StoreError::NewerVersion(v.clone()));
        }
        let _lock = acquire_lock(&self.lock_path, lock_timeout())?;
        remove_stale_temps(&self.path);
        let (mut profiles, unknown) = match read_disk(&self.path)? {
            OnDisk::Missing => (Vec::new(), Unknown::default()),
            OnDisk::Parsed(parsed, _) => (parsed.profiles, parsed.unknown),
            OnDisk::Newer { version, .. } => {
                // Written by a newer Shiftgate since we loaded: from now on we only read.
                drop(_lock);
                self.reload()?;
                return Err(StoreError::NewerVersion(version));
            }
            OnDisk::Broken { bytes, reason } => {
                // Broken since we loaded: keep its bytes, carry on from what we hold.
                let backup = move_aside(&self.path, &bytes)?;
                tracing::warn!(backup = %backup.display(), %reason, "profiles file unreadable; moved aside");
                self.notice = Some(LoadNotice::MovedAside { backup, reason });
                (self.profiles.clone(), self.unknown.clone())
            }
        };
        let result = change(&mut profiles)?;
        let text = encode(&profiles, &unknown)?;
        write_atomic(&self.path, text.as_bytes())
            .map_err(|e| StoreError::Write { path: self.path.clone(), source: e })?;
        self.seen = Some(fingerprint(text.as_bytes()));
        self.profiles = profiles;
        self.unknown = unknown;
        Ok(result)
    }

    /// Insert or replace (by id) and write the file. Refused with [`StoreError::Conflict`] when
    /// the file's version of the profile is no longer the one this store last saw.
    pub fn upsert(&mut self, profile: Profile) -> Result<(), StoreError> {
        let expected = self.get(&profile.id).cloned();
        self.upsert_expecting(profile, expected.as_ref())
    }

    /// Insert or replace `profile`, provided the file still holds `expected` for its id (`None`:
    /// the profile must not exist yet, or was never saved). A file already holding `profile`
    /// itself is no conflict either.
    pub fn upsert_expecting(
        &mut self,
        profile: Profile,
        expected: Option<&Profile>,
    ) -> Result<(), StoreError> {
        self.transact(|profiles| {
            check_expected(profiles, &profile, expected)?;
            put(profiles, profile)
        })
    }

    /// Insert or replace `profile` whatever the file holds for it ("keep mine" after a conflict).
    pub fn upsert_keep_mine(&mut self, profile: Profile) -> Result<(), StoreError> {
        self.transact(|profiles| put(profiles, profile))
    }

    /// Several upserts in one write (imports): each profile by id, each checked as
    /// [`Self::upsert`] does. Nothing is written when one conflicts or has a taken name.
    pub fn upsert_all(&mut self, batch: Vec<Profile>) -> Result<(), StoreError> {
        let expected: Vec<Option<Profile>> =
            batch.iter().map(|p| self.get(&p.id).cloned()).collect();
        self.transact(|profiles| {
            for (profile, expected) in batch.into_iter().zip(expected) {
                check_expected(profiles, &profile, expected.as_ref())?;
                put(profiles, profile)?;
            }
            Ok(())
        })
    }

    /// An import, one profile at a time in one write: each [`ImportWrite`] that still fits the file
    /// lands (a new profile is renamed `name 2`… when its name was taken meanwhile); one whose
    /// planned-against version changed elsewhere, or whose name is taken by another profile, is
    /// not written and comes back as [`ImportOutcome::Conflict`] for the user to choose again.
    pub fn import_each(
        &mut self,
        writes: &[ImportWrite],
    ) -> Result<Vec<ImportOutcome>, StoreError> {
        self.transact(|profiles| {
            let mut out = Vec::with_capacity(writes.len());
            for w in writes {
                let current = profiles.iter().find(|p| p.id == w.profile.id).cloned();
                let outcome = match (&w.expected, current) {
                    (None, Some(theirs)) => ImportOutcome::Conflict {
                        theirs: Some(theirs),
                        reason: "a profile with its id was saved elsewhere meanwhile".into(),
                    },
                    (None, None) => {
                        let mut p = w.profile.clone();
                        p.name = unique_name(profiles, &p.id, &p.name);
                        profiles.push(p.clone());
                        ImportOutcome::Written(p)
                    }
                    (Some(expected), current) => {
                        if current.as_ref() != Some(expected)
                            && current.as_ref() != Some(&w.profile)
                        {
                            let reason = match &current {
                                Some(_) => "changed elsewhere since the preview",
                                None => "deleted elsewhere since the preview",
                            };
                            ImportOutcome::Conflict { theirs: current, reason: reason.into() }
                        } else if name_taken(profiles, &w.profile.id, &w.profile.name) {
                            ImportOutcome::Conflict {
                                theirs: current,
                                reason: format!(
                                    "another profile is named \"{}\"",
                                    w.profile.name.trim()
                                ),
                            }
                        } else {
                            put(profiles, w.profile.clone())?;
                            ImportOutcome::Written(w.profile.clone())
                        }
                    }
                };
                out.push(outcome);
            }
            Ok(out)
        })
    }

    /// Change the profile named (or with id) `name_or_id` as found in the file right now, under
    /// the lock, so concurrent edits of different fields all land. Returns the saved profile.
    pub fn update(
        &mut self,
        name_or_id: &str,
        change: impl FnOnce(&mut Profile) -> Result<(), String>,
    ) -> Result<Profile, StoreError> {
        self.transact(|profiles| {
            let mut p = find_in(profiles, name_or_id)
                .cloned()
                .ok_or_else(|| StoreError::NotFound(name_or_id.to_string()))?;
            change(&mut p).map_err(StoreError::Invalid)?;
            put(profiles, p.clone())?;
            Ok(p)
        })
    }

    /// Remove `id` provided the file still holds `expected` for it (the version the user saw);
    /// else nothing is written and [`StoreError::Conflict`] (with `deleting`) carries both
    /// versions. A profile already gone is [`StoreError::NotFound`].
    pub fn remove_expecting(
        &mut self,
        id: &ProfileId,
        expected: &Profile,
    ) -> Result<Profile, StoreError> {
        self.transact(|profiles| {
            let idx = profiles
                .iter()
                .position(|p| &p.id == id)
                .ok_or_else(|| StoreError::NotFound(id.0.clone()))?;
            if &profiles[idx] != expected {
                return Err(StoreError::Conflict(Box::new(Conflict {
                    id: id.clone(),
                    mine: expected.clone(),
                    theirs: Some(profiles[idx].clone()),
                    deleting: true,
                })));
            }
            Ok(profiles.remove(idx))
        })
    }

    /// Remove the profile named (or with id) `name_or_id` as the file holds it now, under the
    /// lock (the command line: like [`Self::update`], it acts on the current version).
    pub fn remove_named(&mut self, name_or_id: &str) -> Result<Profile, StoreError> {
        self.transact(|profiles| {
            let id = find_in(profiles, name_or_id)
                .map(|p| p.id.clone())
                .ok_or_else(|| StoreError::NotFound(name_or_id.to_string()))?;
            let idx = profiles.iter().position(|p| p.id == id).unwrap_or_default();
            Ok(profiles.remove(idx))
        })
    }

    /// Remove by id and write the file; returns the removed profile (as the file held it).
    pub fn remove(&mut self, id: &ProfileId) -> Result<Profile, StoreError> {
        self.transact(|profiles| {
            let idx = profiles
                .iter()
                .position(|p| &p.id == id)
                .ok_or_else(|| StoreError::NotFound(id.0.clone()))?;
            Ok(profiles.remove(idx))
        })
    }
}

fn find_in<'a>(profiles: &'a [Profile], name_or_id: &str) -> Option<&'a Profile> {
    profiles
        .iter()
        .find(|p| p.id.0 == name_or_id)
        .or_else(|| profiles.iter().find(|p| p.name.eq_ignore_ascii_case(name_or_id)))
}

fn check_expected(
    profiles: &[Profile],
    profile: &Profile,
    expected: Option<&Profile>,
) -> Result<(), StoreError> {
    let current = profiles.iter().find(|p| p.id == profile.id);
    if current == expected || current == Some(profile) {
        return Ok(());
    }
    Err(StoreError::Conflict(Box::new(Conflict {
        id: profile.id.clone(),
        mine: profile.clone(),
        theirs: current.cloned(),
        deleting: false,
    })))
}

fn put(profiles: &mut Vec<Profile>, profile: Profile) -> Result<(), StoreError> {
    if name_taken(profiles, &profile.id, &profile.name) {
        return Err(StoreError::DuplicateName(profile.name));
    }
    match profiles.iter_mut().find(|p| p.id == profile.id) {
        Some(slot) => *slot = profile,
        None => profiles.push(profile),
    }
    Ok(())
}

#[cfg(test)]
#[path = "profiles_tests.rs"]
mod tests;
