//! Unit tests of the profile store (split from profiles.rs to keep it about the store).

use super::*;
use shiftgate_core::profile::{Engine, SslMode};

fn sample(name: &str) -> Profile {
    let mut p = Profile::new(Engine::Postgres);
    p.name = name.into();
    p.host = "db.example.com".into();
    p.user = "admin".into();
    p.sslmode = SslMode::VerifyCa;
    p.ca_file = Some("/etc/ssl/ca.pem".into());
    p.notes = "line one\nline \"two\" ünïcode".into();
    p.color = Some([10, 20, 30]);
    p
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".broken-"))
        .collect();
    v.sort();
    v
}

#[test]
fn round_trip_through_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = ProfileStore::open(dir.path()).unwrap();
    let a = sample("a");
    let b = sample("b");
    s.upsert(a.clone()).unwrap();
    s.upsert(b.clone()).unwrap();
    let s2 = ProfileStore::open(dir.path()).unwrap();
    assert_eq!(s2.profiles(), &[a, b]);
    let text = fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
    assert!(text.contains("schema_version = 1"));
    assert!(!text.contains("[profile.ssh]"), "no tunnel, no ssh table: {text}");
    assert!(dir.path().join(LOCK_FILE_NAME).exists(), "the lock file sits beside the file");
}

#[test]
fn corrupt_file_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(FILE_NAME), "schema_version = 1\n[[profile]\nbroken").unwrap();
    let s = ProfileStore::open(dir.path()).unwrap();
    assert!(s.profiles().is_empty());
    match &s.notice {
        Some(LoadNotice::MovedAside { backup, .. }) => {
            assert!(backup.exists());
            assert!(
                backup.file_name().unwrap().to_string_lossy().starts_with("profiles.toml.broken-")
            );
        }
        other => panic!("expected a notice, got {other:?}"),
    }
    assert!(!dir.path().join(FILE_NAME).exists());
}

#[test]
fn two_corruptions_in_one_second_get_two_backups() {
    let dir = tempfile::tempdir().unwrap();
    let first = b"schema_version = 1\n[[profile]\nfirst".to_vec();
    let second = b"\xff\xfe not even text".to_vec();
    fs::write(dir.path().join(FILE_NAME), &first).unwrap();
    let a = ProfileStore::open(dir.path()).unwrap();
    fs::write(dir.path().join(FILE_NAME), &second).unwrap();
    let b = ProfileStore::open(dir.path()).unwrap();
    let (ba, bb) = (a.notice.unwrap(), b.notice.unwrap());
    assert_ne!(ba.backup(), bb.backup());
    assert_eq!(fs::read(ba.backup().unwrap()).unwrap(), first);
    assert_eq!(fs::read(bb.backup().unwrap()).unwrap(), second);
    assert_eq!(backups(dir.path()).len(), 2);
}

#[test]
fn newer_schema_is_read_only_and_never_moved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let text = "schema_version = 99\nwritten_by = \"3.1.0\"\nfuture = true\n\n[[profile]]\nid = \"x\"\nname = \"kept\"\nhost = \"h\"\nhologram = 1\n";
    fs::write(&path, text).unwrap();
    let mut s = ProfileStore::open(dir.path()).unwrap();
    assert_eq!(s.profiles().len(), 1, "a newer file that parses is listed");
    let refusal = s.read_only().expect("read-only");
    assert_eq!(
        refusal,
        "profiles.toml was written by Shiftgate 3.1.0 or newer; this version will not change it"
    );
    assert!(matches!(s.upsert(sample("new")), Err(StoreError::NewerVersion(_))));
    let id = s.profiles()[0].id.clone();
    assert!(matches!(s.remove(&id), Err(StoreError::NewerVersion(_))));
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
    assert!(backups(dir.path()).is_empty());
    assert!(!dir.path().join(LOCK_FILE_NAME).exists(), "no write was even attempted");

    // A newer file we cannot read at all is still never moved.
    fs::write(&path, "schema_version = 100\n[[profile]]\nport = \"x\"\n").unwrap();
    let s = ProfileStore::open(dir.path()).unwrap();
    assert!(s.read_only().unwrap().contains("(file format 100)"));
    assert!(backups(dir.path()).is_empty());
}

#[test]
fn unknown_keys_survive_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    fs::write(
        &path,
        "schema_version = 1\ntheme = \"dark\"\n\n[[profile]]\nid = \"a\"\nname = \"a\"\nhost = \"h\"\nfavourite = true\n\n[profile.ssh]\nenabled = false\nx_proxy = \"p\"\n\n[profile.extras]\nk = 1\n",
    )
    .unwrap();
    let mut s = ProfileStore::open(dir.path()).unwrap();
    s.update("a", |p| {
        p.host = "h2".into();
        Ok(())
    })
    .unwrap();
    s.upsert(sample("b")).unwrap();
    let doc: toml::Table = fs::read_to_string(&path).unwrap().parse().unwrap();
    assert_eq!(doc["theme"].as_str(), Some("dark"));
    let a = &doc["profile"].as_array().unwrap()[0];
    assert_eq!(a["host"].as_str(), Some("h2"));
    assert_eq!(a["favourite"].as_bool(), Some(true));
    assert_eq!(a["ssh"]["x_proxy"].as_str(), Some("p"));
    assert_eq!(a["extras"]["k"].as_integer(), Some(1));
    let b = &doc["profile"].as_array().unwrap()[1];
    assert!(b.get("favourite").is_none());
}

#[test]
fn writers_merge_instead_of_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let mut one = ProfileStore::open(dir.path()).unwrap();
    let mut two = ProfileStore::open(dir.path()).unwrap();
    one.upsert(sample("one")).unwrap();
    two.upsert(sample("two")).unwrap();
    assert_eq!(two.profiles().len(), 2, "the second writer sees the first one's profile");
    let names: Vec<String> =
        ProfileStore::open(dir.path()).unwrap().profiles().iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, ["one", "two"]);
}

#[test]
fn editing_a_profile_changed_elsewhere_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = ProfileStore::open(dir.path()).unwrap();
    let p = sample("prod");
    app.upsert(p.clone()).unwrap();
    let mut cli = ProfileStore::open(dir.path()).unwrap();
    cli.update("prod", |p| {
        p.port = 6000;
        Ok(())
    })
    .unwrap();
    let mut mine = p.clone();
    mine.user = "me".into();
    match app.upsert(mine.clone()) {
        Err(StoreError::Conflict(c)) => {
            assert_eq!(c.mine, mine);
            assert_eq!(c.theirs.as_ref().map(|t| t.port), Some(6000));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(ProfileStore::open(dir.path()).unwrap().profiles()[0].port, 6000);
    app.upsert_keep_mine(mine.clone()).unwrap();
    assert_eq!(ProfileStore::open(dir.path()).unwrap().profiles(), &[mine.clone()]);
    // Deleted elsewhere: saving is a conflict too, with no "theirs".
    cli.reload().unwrap();
    cli.remove(&p.id).unwrap();
    let mut again = mine.clone();
    again.notes = "x".into();
    match app.upsert(again) {
        Err(StoreError::Conflict(c)) => assert!(c.theirs.is_none()),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn deleting_a_profile_changed_elsewhere_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = ProfileStore::open(dir.path()).unwrap();
    let p = sample("prod");
    app.upsert(p.clone()).unwrap();
    let mut cli = ProfileStore::open(dir.path()).unwrap();
    cli.update("prod", |p| {
        p.port = 6000;
        Ok(())
    })
    .unwrap();
    match app.remove_expecting(&p.id, &p) {
        Err(StoreError::Conflict(c)) => {
            assert!(c.deleting);
            assert_eq!(c.mine, p);
            assert_eq!(c.theirs.as_ref().map(|t| t.port), Some(6000));
            assert!(c.describe().contains("it was not deleted"), "{}", c.describe());
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(ProfileStore::open(dir.path()).unwrap().profiles()[0].port, 6000, "kept");
    // Against the version in the file it goes; a second delete finds nothing.
    let theirs = ProfileStore::open(dir.path()).unwrap().profiles()[0].clone();
    assert_eq!(app.remove_expecting(&p.id, &theirs).unwrap().port, 6000);
    assert!(matches!(app.remove_expecting(&p.id, &theirs), Err(StoreError::NotFound(_))));
    assert!(ProfileStore::open(dir.path()).unwrap().profiles().is_empty());
}

#[test]
fn an_import_lands_per_profile_and_hands_back_what_changed_meanwhile() {
    use shiftgate_core::import::ImportedProfile;
    let dir = tempfile::tempdir().unwrap();
    let mut app = ProfileStore::open(dir.path()).unwrap();
    let (prod, stage) = (sample("prod"), sample("stage"));
    app.upsert(prod.clone()).unwrap();
    app.upsert(stage.clone()).unwrap();
    let write = |profile: Profile, expected: Option<&Profile>| ImportWrite {
        imported: ImportedProfile {
            profile: profile.clone(),
            password: None,
            source: "t".into(),
            warnings: vec![],
        },
        profile,
        expected: expected.cloned(),
    };
    let mut prod_new = prod.clone();
    prod_new.port = 7000;
    let mut stage_new = stage.clone();
    stage_new.port = 7001;
    let fresh = sample("prod"); // a new profile whose name is taken: kept as "prod 2"
    let writes =
        [write(prod_new.clone(), Some(&prod)), write(stage_new, Some(&stage)), write(fresh, None)];
    // Meanwhile the command line changes stage.
    ProfileStore::open(dir.path())
        .unwrap()
        .update("stage", |p| {
            p.user = "theirs".into();
            Ok(())
        })
        .unwrap();
    let out = app.import_each(&writes).unwrap();
    assert_eq!(out[0], ImportOutcome::Written(prod_new.clone()));
    match &out[1] {
        ImportOutcome::Conflict { theirs: Some(t), reason } => {
            assert_eq!(t.user, "theirs");
            assert!(reason.contains("changed elsewhere"), "{reason}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(&out[2], ImportOutcome::Written(p) if p.name == "prod 2"));
    let file = ProfileStore::open(dir.path()).unwrap();
    let names: Vec<(&str, u16, &str)> =
        file.profiles().iter().map(|p| (p.name.as_str(), p.port, p.user.as_str())).collect();
    assert_eq!(
        names,
        [("prod", 7000, "admin"), ("stage", stage.port, "theirs"), ("prod 2", prod.port, "admin")]
    );
}

#[test]
fn reload_follows_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = ProfileStore::open(dir.path()).unwrap();
    assert_eq!(app.reload().unwrap(), Reloaded::Unchanged);
    let mut cli = ProfileStore::open(dir.path()).unwrap();
    cli.upsert(sample("x")).unwrap();
    assert_eq!(app.reload().unwrap(), Reloaded::Changed);
    assert_eq!(app.profiles().len(), 1);
    assert_eq!(app.reload().unwrap(), Reloaded::Unchanged);
    app.upsert(sample("y")).unwrap();
    assert_eq!(app.reload().unwrap(), Reloaded::Unchanged, "our own write is no change");
}

#[test]
fn a_held_lock_times_out_naming_the_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    let lock_path = dir.path().join(LOCK_FILE_NAME);
    let held = acquire_lock(&lock_path, LOCK_TIMEOUT).unwrap();
    let start = Instant::now();
    let err = acquire_lock(&lock_path, Duration::from_millis(150)).err();
    assert!(start.elapsed() >= Duration::from_millis(150));
    match err {
        Some(e @ StoreError::LockTimeout { .. }) => {
            assert!(e.to_string().contains(&lock_path.display().to_string()), "{e}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    drop(held);
    assert!(acquire_lock(&lock_path, Duration::from_millis(150)).is_ok());
}

#[test]
fn duplicate_names_are_refused_and_remove_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = ProfileStore::open(dir.path()).unwrap();
    s.upsert(sample("prod")).unwrap();
    assert!(matches!(s.upsert(sample("PROD")), Err(StoreError::DuplicateName(_))));
    let id = s.profiles()[0].id.clone();
    s.remove(&id).unwrap();
    assert!(ProfileStore::open(dir.path()).unwrap().profiles().is_empty());
}
