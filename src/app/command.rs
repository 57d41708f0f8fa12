//! What the panels ask the app to do. Panels draw and return these; [`super::App`] applies them
//! after the frame is drawn (see `command_handling`), so no panel touches the store, the secret
//! store or the backend.
//!
//! Commands are grouped by what they act on, and every group is matched exhaustively: adding a
//! variant does not compile until something handles it.
//!
//! Commands carry no secrets (they are `Debug`): a typed password stays in the form or the prompt
//! state and is read from there when the command is applied.

pub use super::audit_state::AuditCommand;
use super::provision_state::{ScriptSlot, TaskOwner};
use super::state::ResultsTab;
pub use super::store_sync::StoreCommand;
use shiftgate_core::import::ImportFormat;
use shiftgate_core::profile::ProfileId;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum UiCommand {
    /// Open, create, copy or delete a profile of the list.
    Profile(ProfileCommand),
    /// Something on the connection form.
    Form(FormCommand),
    /// The connection test and its report.
    Test(TestCommand),
    /// Answer or close the open dialog.
    Dialog(DialogCommand),
    /// Which results tab shows, and the log.
    View(ViewCommand),
    /// The catalog-user tabs: Setup, Verify, Teardown.
    Catalog(CatalogCommand),
    /// Import and export of profiles.
    Transfer(TransferCommand),
    /// Something on the Audit tab.
    Audit(AuditCommand),
    /// Answer a save conflict, or open the folder of a profiles-file backup.
    Store(StoreCommand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProfileCommand {
    /// Open a saved profile in the form (asks first when the form has unsaved changes).
    Select(ProfileId),
    /// Open an empty new profile.
    NewProfile,
    /// Open a new profile filled from the first-run paste box.
    NewFromPaste,
    /// Save a copy of a profile under a new id and open it.
    Duplicate(ProfileId),
    /// Ask whether to delete a profile.
    RequestDelete(ProfileId),
    /// Delete without asking (sent by the confirmation dialog).
    Delete(ProfileId),
    /// Drop the form's unsaved changes, then run the command.
    DiscardThen(Box<UiCommand>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormCommand {
    Save,
    Revert,
    /// Fill the form from its paste box.
    ApplyPaste,
    /// Choose a CA file with the file picker.
    BrowseCaFile,
    /// Choose the private key file of SSH hop slot `n` (0 = bastion, i = jump host i).
    BrowseSshKey(usize),
    CopyUrl,
    CopyPsql,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCommand {
    /// Test the profile in the form (the task asks for any secret it can't find).
    Connection,
    /// Test only the SSH tunnel of the profile in the form: every hop, then a channel to the
    /// database host and port.
    Tunnel,
    Cancel,
    CopyReport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogCommand {
    /// Answer the first secret a paused task asks for (`true` = give what was typed, `false` =
    /// go on without it).
    AnswerSecret(bool),
    /// Answer the first unknown SSH host key (`true` = trust and remember).
    AnswerHostKey(bool),
    /// Close the open dialog without doing anything.
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewCommand {
    ShowTab(ResultsTab),
    CopyLog,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogCommand {
    /// Discover schemas, owners, users, groups and roles as the admin (the profile in the form).
    Discover,
    /// Stop a running discovery, verification or script run.
    CancelTask(TaskOwner),
    /// Copy the script exactly as shown (masked unless revealed).
    CopyScript(ScriptSlot),
    /// Save the script as shown to a `.sql` file chosen with the file picker.
    SaveScript(ScriptSlot),
    /// Run the reviewed script as the admin.
    RunScript(ScriptSlot),
    /// After setup: open the Verify tab set to log in as the new user.
    PrefillVerify,
    /// After setup: save the new user as a profile (password to the secret store).
    SaveCatalogProfile,
    /// Verify as the catalog user.
    Verify,
    /// Teardown: read the live privileges of the other databases listed, as the admin.
    ReadOtherDatabases,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TransferCommand {
    /// Choose a file with the file picker and preview importing it.
    ImportFile,
    /// Preview importing this file (a default location such as `~/.pgpass`).
    ImportPath(PathBuf),
    /// Parse the previewed file again as this format (detection failed or was wrong).
    ImportAs(ImportFormat),
    /// Write the ticked entries of the import preview (passwords to the secret store).
    ApplyImport,
    /// Export this profile, or every profile (`None`), to a file chosen with the file picker.
    Export(Option<ProfileId>),
}
