//! Shiftgate's own export: TOML and JSON round-trip exactly (ids and every field), carry no secrets,
//! and re-import reports bad files with a line.

use proptest::prelude::*;
use shiftgate_core::import::export::{export_json, export_toml, import_export};
use shiftgate_core::import::{self, ImportFormat};
use shiftgate_core::profile::{Engine, Profile, ProfileId, SecretMode, SshAuth, SshHop, SslMode};
use std::path::PathBuf;

fn varied_profiles() -> Vec<Profile> {
    let mut rs = Profile::new(Engine::Redshift);
    rs.name = "Warehouse — prod ☁".into();
    rs.host = "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com".into();
    rs.user = "awsuser".into();
    rs.ca_file = Some("/etc/ssl/redshift-ca-bundle.crt".into());
    rs.color = Some([255, 136, 0]);
    rs.notes = "line one\nline \"two\" with 'quotes' and \\ backslash".into();
    rs.password_command =
        Some("aws redshift get-cluster-credentials --cluster-identifier examplecluster".into());
    rs.ssh.enabled = true;
    rs.ssh.config_alias = Some("bastion-prod".into());
    rs.ssh.bastion = SshHop {
        host: "bastion.example.com".into(),
        port: 2222,
        user: "ec2-user".into(),
        auth: SshAuth::Key { path: "/home/me/.ssh/id_ed25519".into() },
    };
    rs.ssh.jump_hosts = vec![
        SshHop { host: "jump1".into(), port: 22, user: "me".into(), auth: SshAuth::Agent },
        SshHop { host: "jump2".into(), port: 22, user: "me".into(), auth: SshAuth::Password },
    ];
    let mut pg = Profile::new(Engine::Postgres);
    pg.name = "local".into();
    pg.host = "::1".into();
    pg.sslmode = SslMode::Disable;
    pg.application_name = None;
    pg.password_mode = SecretMode::AskEveryTime;
    pg.connect_timeout_secs = 3;
    let mut empty = Profile::new(Engine::Postgres);
    empty.application_name = Some(String::new());
    vec![rs, pg, empty]
}

#[test]
fn toml_and_json_round_trip_a_varied_set() {
    let profiles = varied_profiles();
    let toml = export_toml(&profiles);
    assert!(toml.starts_with("# Shiftgate connection profiles.\n# No passwords"), "{toml}");
    assert!(
        toml.contains("[[profiles]]") && toml.contains("unset = [\"application_name\"]"),
        "{toml}"
    );
    assert_eq!(import_export(&toml).unwrap(), profiles);
    let json = export_json(&profiles);
    assert_eq!(import_export(&json).unwrap(), profiles);
    assert_eq!(import_export(&export_toml(&[])).unwrap(), Vec::<Profile>::new());
}

#[test]
fn exported_file_imports_through_the_generic_entry_with_the_same_ids() {
    let profiles = varied_profiles();
    let toml = export_toml(&profiles);
    assert_eq!(
        import::detect_format("team-profiles.toml", &toml),
        Some(ImportFormat::ShiftgateExport)
    );
    let json = export_json(&profiles);
    assert_eq!(
        import::detect_format("team-profiles.json", &json),
        Some(ImportFormat::ShiftgateExport)
    );
    let batch = import::parse(ImportFormat::ShiftgateExport, &toml, &|_| None).unwrap();
    let ids: Vec<&ProfileId> = batch.profiles.iter().map(|p| &p.profile.id).collect();
    assert_eq!(ids, profiles.iter().map(|p| &p.id).collect::<Vec<_>>());
    // Re-importing onto the same profiles changes nothing.
    let plan = import::plan(&profiles, batch.profiles);
    assert_eq!((plan.create.len(), plan.update.len(), plan.skip.len()), (0, 0, 3));
}

#[test]
fn bad_exports_are_rejected_with_a_reason() {
    let err =
        import_export("format = \"shiftgate-profiles\"\nversion = 1\n[[profiles]\n").unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    let err = import_export("format = \"shiftgate-profiles\"\nversion = 1\n\n[[profiles]]\nname = \"a\"\n\n[[profiles]]\nport = \"x\"\n")
        .unwrap_err();
    assert_eq!(err.line, Some(7), "{err}");
    assert!(err.message.starts_with("profile 2:"), "{err}");
    assert!(import_export("version = 1\n").unwrap_err().message.contains("not a Shiftgate export"));
    assert!(
        import_export("format = \"shiftgate-profiles\"\nversion = 9\n")
            .unwrap_err()
            .message
            .contains("newer Shiftgate")
    );
    let dup = Profile::new(Engine::Postgres);
    let err = import_export(&export_json(&[dup.clone(), dup])).unwrap_err();
    assert!(err.message.contains("used twice"), "{err}");
}

fn arb_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

fn arb_hop() -> impl Strategy<Value = SshHop> {
    (arb_text(12), any::<u16>(), arb_text(8), 0..3u8, arb_text(12)).prop_map(
        |(host, port, user, auth, path)| SshHop {
            host,
            port,
            user,
            auth: match auth {
                0 => SshAuth::Agent,
                1 => SshAuth::Password,
                _ => SshAuth::Key { path: PathBuf::from(path) },
            },
        },
    )
}

prop_compose! {
    fn arb_profile()(
        id in arb_text(40),
        strings in proptest::collection::vec(arb_text(24), 5),
        engine in any::<bool>(),
        port in any::<u16>(),
        mode in 0..6usize,
        ca in proptest::option::of(arb_text(20)),
        timeout in any::<u32>(),
        app in proptest::option::of(arb_text(12)),
        color in proptest::option::of(any::<[u8; 3]>()),
        ask in any::<bool>(),
        command in proptest::option::of(arb_text(30)),
        ssh in (any::<bool>(), proptest::option::of(arb_text(10)), arb_hop(), proptest::collection::vec(arb_hop(), 0..3), any::<u32>(), any::<u32>(), any::<bool>()),
    ) -> Profile {
        let mut p = Profile::new(if engine { Engine::Redshift } else { Engine::Postgres });
        p.id = ProfileId(id);
        let [name, host, database, user, notes] = <[String; 5]>::try_from(strings).unwrap_or_default();
        (p.name, p.host, p.database, p.user, p.notes) = (name, host, database, user, notes);
        p.port = port;
        p.sslmode = SslMode::ALL[mode];
        p.ca_file = ca.map(PathBuf::from);
        p.connect_timeout_secs = timeout;
        p.application_name = app;
        p.color = color;
        p.password_mode = if ask { SecretMode::AskEveryTime } else { SecretMode::Keychain };
        p.password_command = command;
        let (enabled, alias, bastion, jumps, keepalive, ssh_timeout, ssh_ask) = ssh;
        p.ssh.enabled = enabled;
        p.ssh.config_alias = alias;
        p.ssh.bastion = bastion;
        p.ssh.jump_hosts = jumps;
        p.ssh.keepalive_secs = keepalive;
        p.ssh.connect_timeout_secs = ssh_timeout;
        p.ssh.secret_mode = if ssh_ask { SecretMode::AskEveryTime } else { SecretMode::Keychain };
        p
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_profiles_round_trip_exactly(profiles in proptest::collection::vec(arb_profile(), 0..4)) {
        let mut ids = std::collections::HashSet::new();
        prop_assume!(profiles.iter().all(|p| ids.insert(p.id.clone())));
        prop_assert_eq!(&import_export(&export_toml(&profiles)).unwrap(), &profiles);
        prop_assert_eq!(&import_export(&export_json(&profiles)).unwrap(), &profiles);
    }

    #[test]
    fn arbitrary_text_never_panics(text in arb_text(200)) {
        let _ = import_export(&text);
    }
}
