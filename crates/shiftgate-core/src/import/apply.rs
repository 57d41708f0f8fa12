//! From a reviewed [`ImportPlan`] to the profiles an import writes, one by one. An entry that
//! matches an existing profile (same id, same server, same name) is applied as the user chose:
//! replace (update the existing profile), skip, or keep both (import it as a new profile, renamed
//! when its name is taken). Each write carries the version it was planned against, so the store
//! applies the entries that still fit the file and hands back the others to be chosen again:
//! nothing is dropped silently.

use super::{ImportPlan, ImportUpdate, ImportedProfile};
use crate::profile::{Profile, ProfileId};

/// What to do with an imported entry that matches an existing profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collision {
    /// Update the existing profile with the file's values (the default).
    #[default]
    Replace,
    /// Leave the existing profile as it is; the entry is not imported.
    Skip,
    /// Import the entry as a new profile beside the existing one, renamed `name 2`… if needed.
    KeepBoth,
}

impl Collision {
    pub const ALL: [Collision; 3] = [Collision::Replace, Collision::Skip, Collision::KeepBoth];

    pub fn label(self) -> &'static str {
        match self {
            Collision::Replace => "Replace",
            Collision::Skip => "Skip",
            Collision::KeepBoth => "Keep both",
        }
    }

    /// The command-line spelling: `replace`, `skip`, `keep-both`.
    pub fn as_str(self) -> &'static str {
        match self {
            Collision::Replace => "replace",
            Collision::Skip => "skip",
            Collision::KeepBoth => "keep-both",
        }
    }

    pub fn parse(s: &str) -> Option<Collision> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "replace" | "update" => Some(Collision::Replace),
            "skip" => Some(Collision::Skip),
            "keep-both" | "keepboth" | "both" | "rename" => Some(Collision::KeepBoth),
            _ => None,
        }
    }
}

/// One profile an import writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportWrite {
    pub profile: Profile,
    /// The existing version this update was planned against: the store writes it only while the
    /// file still holds that version. `None` for a new profile (renamed at write time if its name
    /// was taken meanwhile).
    pub expected: Option<Profile>,
    /// The entry as read from the file, to plan it again if the write does not fit the file.
    /// Its password (a SECRET) goes to the secret store under the written profile's id.
    pub imported: ImportedProfile,
}

/// The writes for the ticked creates and the chosen collisions (`choices[i]` for
/// `plan.update[i]`; a missing choice is [`Collision::Replace`]). Skipped entries yield nothing.
pub fn writes(plan: ImportPlan, create_ticked: &[bool], choices: &[Collision]) -> Vec<ImportWrite> {
    let mut out = Vec::new();
    for (i, u) in plan.update.into_iter().enumerate() {
        let ImportUpdate { before, merged, imported, .. } = u;
        match choices.get(i).copied().unwrap_or_default() {
            Collision::Skip => {}
            Collision::Replace => {
                out.push(ImportWrite { profile: merged, expected: Some(before), imported });
            }
            Collision::KeepBoth => {
                let mut profile = imported.profile.clone();
                if profile.id == before.id {
                    profile.id = ProfileId::new_random();
                }
                out.push(ImportWrite { profile, expected: None, imported });
            }
        }
    }
    for (i, c) in plan.create.into_iter().enumerate() {
        if create_ticked.get(i).copied().unwrap_or(true) {
            out.push(ImportWrite { profile: c.profile.clone(), expected: None, imported: c });
        }
    }
    out
}

/// `name`, or `name 2`, `name 3`… if a profile other than `id` already has it (case-insensitive).
pub fn unique_name(profiles: &[Profile], id: &ProfileId, name: &str) -> String {
    let taken = |n: &str| {
        !n.trim().is_empty()
            && profiles.iter().any(|p| &p.id != id && p.name.trim().eq_ignore_ascii_case(n.trim()))
    };
    let mut candidate = name.to_string();
    let mut n = 2;
    while taken(&candidate) {
        candidate = format!("{name} {n}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::plan;
    use crate::profile::Engine;

    fn profile(name: &str, host: &str) -> Profile {
        let mut p = Profile::new(Engine::Postgres);
        p.name = name.into();
        p.host = host.into();
        p.user = "u".into();
        p.database = "d".into();
        p
    }

    fn imported(p: Profile, password: Option<&str>) -> ImportedProfile {
        ImportedProfile {
            profile: p,
            password: password.map(str::to_string),
            source: "test".into(),
            warnings: vec![],
        }
    }

    #[test]
    fn each_collision_is_applied_as_chosen() {
        let prod = profile("prod", "prod.example.com");
        let stage = profile("stage", "stage.example.com");
        let dev = profile("dev", "dev.example.com");
        let existing = vec![prod.clone(), stage.clone(), dev.clone()];
        let mut prod2 = profile("prod from file", "prod.example.com");
        prod2.notes = "from the file".into();
        let mut stage2 = profile("stage from file", "stage.example.com");
        stage2.notes = "from the file".into();
        let mut dev2 = dev.clone(); // same id: a Shiftgate export of it
        dev2.port = 6002;
        let new = profile("new", "new.example.com");
        let batch = vec![
            imported(prod2, Some("pw")),
            imported(stage2, None),
            imported(dev2, None),
            imported(new.clone(), None),
        ];
        let p = plan(&existing, batch);
        assert_eq!(p.update.len(), 3);
        let w = writes(p, &[true], &[Collision::Replace, Collision::Skip, Collision::KeepBoth]);
        assert_eq!(w.len(), 3, "the skipped entry yields nothing");
        assert_eq!(w[0].profile.id, prod.id, "replace updates the existing profile");
        assert_eq!(w[0].profile.notes, "from the file");
        assert_eq!(w[0].profile.name, "prod", "matched by server: keeps its name");
        assert_eq!(w[0].expected.as_ref(), Some(&prod));
        assert_eq!(w[0].imported.password.as_deref(), Some("pw"));
        assert_ne!(w[1].profile.id, dev.id, "keep both gets its own id");
        assert_eq!((w[1].profile.port, w[1].expected.as_ref()), (6002, None));
        assert_eq!(w[2].profile, new);
        assert_eq!(unique_name(&existing, &w[1].profile.id, "DEV"), "DEV 2");
        assert_eq!(unique_name(&existing, &dev.id, "dev"), "dev", "its own name is not taken");
    }

    #[test]
    fn collisions_parse_from_the_command_line() {
        for c in Collision::ALL {
            assert_eq!(Collision::parse(c.as_str()), Some(c));
        }
        assert_eq!(Collision::parse("keep_both"), Some(Collision::KeepBoth));
        assert_eq!(Collision::parse("merge"), None);
    }
}
