//! The profile store shared by several processes, driven through the real `shiftgate` binary:
//! concurrent writers, kill -9 during saves, a file from a newer Shiftgate, unreadable files and
//! their backups, a held lock, and imports with a malformed line.

use shiftgate::store::profiles::{FILE_NAME, LOCK_FILE_NAME, ProfileStore};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn command(config: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shiftgate"));
    c.arg("--config-dir")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("PGPASSWORD")
        .env_remove("SHIFTGATE_LOCK_TIMEOUT_MS")
        .env("RUST_LOG", "off");
    c
}

fn run(config: &Path, args: &[&str]) -> Output {
    command(config, args).output().expect("run shiftgate")
}

fn spawn(config: &Path, args: &[&str]) -> Child {
    command(config, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn")
}

fn all(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".broken-"))
        .collect();
    v.sort();
    v
}

fn names(dir: &Path) -> BTreeSet<String> {
    let store = ProfileStore::open(dir).unwrap();
    assert!(store.notice.is_none(), "the file parses: {:?}", store.notice);
    store.profiles().iter().map(|p| p.name.clone()).collect()
}

#[test]
fn store_forty_concurrent_adds_keep_all_forty() {
    let dir = tempfile::tempdir().unwrap();
    let hosts: Vec<String> = (0..40).map(|i| format!("h{i}.example.com")).collect();
    let children: Vec<Child> = (0..40)
        .map(|i| {
            let name = format!("p{i:02}");
            spawn(dir.path(), &["profiles", "add", &name, "-U", "u", "--host", &hosts[i]])
        })
        .collect();
    let mut ok = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", all(&out));
        ok += 1;
    }
    assert_eq!(ok, 40);
    let expected: BTreeSet<String> = (0..40).map(|i| format!("p{i:02}")).collect();
    assert_eq!(names(dir.path()), expected, "40 of 40 kept");
}

#[test]
fn store_twenty_concurrent_edits_of_one_profile_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["profiles", "add", "target", "-U", "u", "--host", "h0"]);
    assert!(o.status.success(), "{}", all(&o));
    let id = ProfileStore::open(dir.path()).unwrap().profiles()[0].id.0.clone();
    // Ten fields, two writers each with their own value: 20 processes at once.
    let edits: Vec<(&str, [&str; 2])> = vec![
        ("--host", ["ha", "hb"]),
        ("--port", ["6001", "6002"]),
        ("--database", ["da", "db"]),
        ("--user", ["ua", "ub"]),
        ("--sslmode", ["verify-ca", "verify-full"]),
        ("--timeout", ["21", "22"]),
        ("--application-name", ["aa", "ab"]),
        ("--notes", ["na", "nb"]),
        ("--rename", ["ra", "rb"]),
        ("--ca-file", ["/ca/a.pem", "/ca/b.pem"]),
    ];
    let mut children = Vec::new();
    for (flag, values) in &edits {
        for v in values {
            children.push(spawn(dir.path(), &["profiles", "edit", &id, flag, v]));
        }
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "every edit reports success: {}", all(&out));
    }
    let store = ProfileStore::open(dir.path()).unwrap();
    assert_eq!(store.profiles().len(), 1, "no torn or duplicated record");
    let p = &store.profiles()[0];
    let got: Vec<String> = vec![
        p.host.clone(),
        p.port.to_string(),
        p.database.clone(),
        p.user.clone(),
        p.sslmode.to_string(),
        p.connect_timeout_secs.to_string(),
        p.application_name.clone().unwrap_or_default(),
        p.notes.clone(),
        p.name.clone(),
        p.ca_file.as_ref().map(|c| c.display().to_string()).unwrap_or_default(),
    ];
    // Some serial order: each field holds the value of one of its two writers (whichever came
    // last), never the original and never something else.
    for ((flag, values), value) in edits.iter().zip(&got) {
        assert!(values.contains(&value.as_str()), "{flag}: {value} is not one of {values:?}");
    }
}

#[test]
fn store_kill_9_during_saves_never_tears_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut kept: BTreeSet<String> = BTreeSet::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut killed_early = 0;
    for i in 0..200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let name = format!("k{i:03}");
        let mut child = spawn(dir.path(), &["profiles", "add", &name, "-U", "u", "--host", "h"]);
        std::thread::sleep(std::time::Duration::from_micros(seed % 25_000));
        if child.try_wait().unwrap().is_none() {
            killed_early += 1;
        }
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let now = names(dir.path()); // parses, nothing moved aside
        assert!(now.is_superset(&kept), "trial {i}: lost {:?}", kept.difference(&now));
        if status.success() {
            assert!(now.contains(&name), "trial {i}: a completed add is kept");
        }
        kept = now;
    }
    assert!(backups(dir.path()).is_empty());
    assert!(killed_early > 20, "only {killed_early} of 200 processes were killed mid-run");
    // The next save sweeps the temp files the killed writers left (all their processes are gone).
    let o = run(dir.path(), &["profiles", "add", "after", "-U", "u", "--host", "h"]);
    assert!(o.status.success(), "{}", all(&o));
    assert_eq!(temps(dir.path()), Vec::<String>::new(), "temp files of killed writers remain");
}

/// `.profiles.toml.<pid>.tmp` files beside the store.
fn temps(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".profiles.toml.") && n.ends_with(".tmp"))
        .collect();
    v.sort();
    v
}

/// A temp file whose writer was killed is removed by the next save (under the lock); one whose
/// process is still alive is left alone, as is an unrelated file.
#[test]
fn store_stale_temp_files_of_killed_writers_are_removed_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["profiles", "add", "first", "-U", "u", "--host", "h"]);
    assert!(o.status.success(), "{}", all(&o));
    let mut dead = Command::new("sleep").arg("60").spawn().expect("sleep");
    let mut alive = Command::new("sleep").arg("60").spawn().expect("sleep");
    let dead_tmp = format!(".profiles.toml.{}.tmp", dead.id());
    let alive_tmp = format!(".profiles.toml.{}.tmp", alive.id());
    std::fs::write(dir.path().join(&dead_tmp), "schema_version = 1\n[[profile]]\nna").unwrap();
    std::fs::write(dir.path().join(&alive_tmp), "partial").unwrap();
    std::fs::write(dir.path().join(".profiles.toml.notapid.tmp"), "x").unwrap();
    dead.kill().unwrap(); // SIGKILL, then reaped: its pid no longer names a process
    dead.wait().unwrap();

    // Reading takes no lock and removes nothing.
    let o = run(dir.path(), &["profiles", "list"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(dir.path().join(&dead_tmp).exists());

    let o = run(dir.path(), &["profiles", "add", "second", "-U", "u", "--host", "h"]);
    assert!(o.status.success(), "{}", all(&o));
    let left = temps(dir.path());
    let _ = alive.kill();
    let _ = alive.wait();
    assert_eq!(left, vec![alive_tmp, ".profiles.toml.notapid.tmp".to_string()]);
    assert_eq!(names(dir.path()), BTreeSet::from(["first".to_string(), "second".to_string()]));
}

const NEWER: &str = "schema_version = 7\nwritten_by = \"9.9.0\"\nhologram = \"yes\"\n\n[[profile]]\nid = \"11111111-2222-3333-4444-555555555555\"\nname = \"from the future\"\nengine = \"postgres\"\nhost = \"future.example.com\"\nwarp = 9\n";
const REFUSAL: &str =
    "profiles.toml was written by Shiftgate 9.9.0 or newer; this version will not change it";

#[test]
fn store_newer_schema_is_read_only_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, NEWER).unwrap();
    let o = run(dir.path(), &["profiles", "list"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("from the future"), "{}", all(&o));
    for args in [
        &["profiles", "add", "x", "-U", "u", "--host", "h"][..],
        &["profiles", "edit", "from the future", "--port", "1"][..],
        &["profiles", "rm", "from the future"][..],
    ] {
        let o = run(dir.path(), args);
        assert!(!o.status.success(), "{args:?} must be refused");
        assert!(all(&o).contains(REFUSAL), "{args:?}: {}", all(&o));
    }
    let pgpass = dir.path().join("pgpass");
    std::fs::write(&pgpass, "db.example.com:5432:d:u:pw\n").unwrap();
    let o = run(dir.path(), &["import", pgpass.to_str().unwrap(), "--format", "pgpass"]);
    assert!(!o.status.success());
    assert!(all(&o).contains(REFUSAL), "{}", all(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), NEWER, "bytes unchanged");
    assert!(backups(dir.path()).is_empty(), "never moved aside");
}

#[test]
fn store_two_corruptions_within_a_second_get_two_backups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let first = b"schema_version = 1\n[[profile]\nfirst broken".to_vec();
    let second = b"schema_version = 1\n[[profile]]\nport = \"second broken\"\n".to_vec();
    std::fs::write(&path, &first).unwrap();
    let a = run(dir.path(), &["profiles", "list"]);
    std::fs::write(&path, &second).unwrap();
    let b = run(dir.path(), &["profiles", "list"]);
    let found = backups(dir.path());
    assert_eq!(found.len(), 2, "{found:?}");
    // Longest first: `…-2` must not be taken for the backup it extends.
    let mut by_length = found.clone();
    by_length.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for (out, bytes) in [(&a, &first), (&b, &second)] {
        let named = by_length
            .iter()
            .find(|p| all(out).contains(&p.display().to_string()))
            .unwrap_or_else(|| panic!("the message names its backup: {}", all(out)));
        assert_eq!(&std::fs::read(named).unwrap(), bytes);
    }
}

#[test]
fn store_a_held_lock_times_out_naming_the_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    let lock_path = dir.path().join(LOCK_FILE_NAME);
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    let started = std::time::Instant::now();
    let o = command(dir.path(), &["profiles", "add", "x", "-U", "u", "--host", "h"])
        .env("SHIFTGATE_LOCK_TIMEOUT_MS", "300")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert!(all(&o).contains(&lock_path.display().to_string()), "{}", all(&o));
    lock.unlock().unwrap();
    let o = run(dir.path(), &["profiles", "add", "x", "-U", "u", "--host", "h"]);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn store_import_keeps_the_good_lines_and_names_the_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join("pgpass");
    std::fs::write(
        &pgpass,
        "one.example.com:5432:d:u:pw1\nbroken line without fields\nthree.example.com:5432:d:u:pw3\n",
    )
    .unwrap();
    let o = run(dir.path(), &["import", pgpass.to_str().unwrap(), "--format", "pgpass"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("line 2:"), "the warning names the line: {}", all(&o));
    let hosts: BTreeSet<String> =
        ProfileStore::open(dir.path()).unwrap().profiles().iter().map(|p| p.host.clone()).collect();
    assert_eq!(hosts, BTreeSet::from(["one.example.com".into(), "three.example.com".into()]));
}

/// `profiles rm` acts like `profiles edit`: it finds the profile in the file as it is once it holds
/// the lock, so a change made while it waited (another writer) is neither lost nor written back
/// from a stale copy, and a profile renamed meanwhile is reported missing, not guessed.
#[test]
fn store_rm_acts_on_the_file_as_it_is_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["prod", "stage"] {
        let o = run(dir.path(), &["profiles", "add", name, "-U", "u", "--host", "h"]);
        assert!(o.status.success(), "{}", all(&o));
    }
    let store = ProfileStore::open(dir.path()).unwrap();
    let lock = store.lock().unwrap();
    let rm = spawn(dir.path(), &["profiles", "rm", "prod"]);
    // While the command waits for the lock, another writer changes prod and adds a profile.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let path = dir.path().join(FILE_NAME);
    let before = std::fs::read_to_string(&path).unwrap();
    let text = before.replacen("port = 5439", "port = 7000", 1);
    assert_ne!(text, before);
    let text = format!("{text}\n[[profile]]\nid = \"added-meanwhile\"\nname = \"meanwhile\"\n");
    std::fs::write(&path, text).unwrap();
    drop(lock);
    let o = rm.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("removed profile \"prod\""), "{}", all(&o));
    assert_eq!(names(dir.path()), BTreeSet::from(["meanwhile".to_string(), "stage".into()]));

    // Renamed elsewhere while rm waits: nothing is removed, and it says so.
    let lock = store.lock().unwrap();
    let rm = spawn(dir.path(), &["profiles", "rm", "stage"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let text = std::fs::read_to_string(&path).unwrap().replace("\"stage\"", "\"staging\"");
    std::fs::write(&path, text).unwrap();
    drop(lock);
    let o = rm.wait_with_output().unwrap();
    assert!(!o.status.success());
    assert!(all(&o).contains("no profile named \"stage\""), "{}", all(&o));
    assert_eq!(names(dir.path()), BTreeSet::from(["meanwhile".to_string(), "staging".into()]));
}

/// An import whose entries match existing profiles is applied per entry as chosen
/// (`--on-conflict`, `--choose NAME=…`), every collision listed; an entry whose profile changes
/// while the import waits for the lock is not written but listed, and the rest lands.
#[test]
fn store_import_collisions_follow_the_choices_and_changes_made_meanwhile_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    for (name, host) in [("prod", "p.example.com"), ("stage", "s.example.com")] {
        let o = run(dir.path(), &["profiles", "add", name, "-U", "u", "-d", "d", "--host", host]);
        assert!(o.status.success(), "{}", all(&o));
    }
    let service = dir.path().join("pg_service.conf");
    let entry = |name: &str, host: &str| {
        format!("[{name}]\nhost={host}\nport=5439\ndbname=d\nuser=u\nsslmode=require\n\n")
    };
    std::fs::write(
        &service,
        [
            entry("prod_svc", "p.example.com"),
            entry("stage_svc", "s.example.com"),
            entry("new_svc", "n.example.com"),
        ]
        .concat(),
    )
    .unwrap();
    let file = service.to_str().unwrap();
    let before = std::fs::read(dir.path().join(FILE_NAME)).unwrap();
    let o = run(dir.path(), &["import", file, "--format", "pg_service", "--choose", "nosuch=skip"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("no entry of"), "{}", all(&o));
    assert_eq!(std::fs::read(dir.path().join(FILE_NAME)).unwrap(), before, "nothing written");

    let args = ["import", file, "--format", "pg_service", "--on-conflict", "skip"];
    let o = run(dir.path(), &[&args[..], &["--choose", "prod=keep-both"]].concat());
    let out = all(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("+ keep both prod_svc"), "{out}");
    assert!(out.contains("= skip    stage_svc"), "{out}");
    let store = ProfileStore::open(dir.path()).unwrap();
    let by_name = |n: &str| store.find(n).cloned().unwrap_or_else(|| panic!("{n} missing: {out}"));
    assert_eq!(by_name("prod").sslmode.as_str(), "verify-full", "kept as it was");
    assert_eq!(by_name("stage").sslmode.as_str(), "verify-full", "skipped");
    assert_eq!(by_name("prod_svc").host, "p.example.com", "imported beside prod");
    assert_eq!(by_name("new_svc").host, "n.example.com");
    assert_eq!(store.profiles().len(), 4);

    // Replace, while another writer renames stage: that entry is listed, the new one lands.
    std::fs::write(
        &service,
        [entry("stage_svc", "s.example.com"), entry("other_svc", "o.example.com")].concat(),
    )
    .unwrap();
    let lock = store.lock().unwrap();
    let import = spawn(dir.path(), &["import", file, "--format", "pg_service"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let path = dir.path().join(FILE_NAME);
    let text = std::fs::read_to_string(&path).unwrap();
    let renamed = text.replacen("name = \"stage\"", "name = \"stage (renamed)\"", 1);
    assert_ne!(renamed, text);
    std::fs::write(&path, renamed).unwrap();
    drop(lock);
    let o = import.wait_with_output().unwrap();
    let out = all(&o);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("~ replace stage"), "{out}");
    assert!(out.contains("! not imported stage_svc"), "{out}");
    assert!(out.contains("changed elsewhere since the preview"), "{out}");
    assert!(out.contains("run the import again"), "{out}");
    let store = ProfileStore::open(dir.path()).unwrap();
    assert_eq!(store.find("stage (renamed)").unwrap().sslmode.as_str(), "verify-full");
    assert_eq!(store.find("other_svc").unwrap().host, "o.example.com", "the rest landed");
}
