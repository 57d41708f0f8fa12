//! `shiftgate demo`: start the Redshift simulator with a sample warehouse on loopback and open
//! the app on a ready "Demo Redshift" profile, in a separate config directory so the user's own
//! profiles are untouched.

use super::{CliError, CliResult, config_dir};
use crate::store::profiles::ProfileStore;
use crate::store::secrets::{MemorySecretStore, SecretKey, SecretStore};
use shiftgate_core::profile::{Engine, Profile, SecretMode, SslMode};
use std::path::PathBuf;
use std::sync::Arc;

pub const DEMO_PROFILE_NAME: &str = "Demo Redshift (simulator)";

/// Start the simulator and write the demo profile; returns it with its directory and password store.
pub fn prepare(
    config: &Option<PathBuf>,
    port: u16,
    rt: &tokio::runtime::Runtime,
) -> Result<(redshift_sim::RunningSimulator, PathBuf, Arc<MemorySecretStore>), CliError> {
    let sim = rt
        .block_on(redshift_sim::run_demo(&format!("127.0.0.1:{port}")))
        .or_else(|_| rt.block_on(redshift_sim::run_demo("127.0.0.1:0")))
        .map_err(|e| CliError::new(format!("could not start the Redshift simulator: {e}")))?;
    let dir = config_dir(config)?.join("demo");
    std::fs::create_dir_all(&dir)?;
    let ca_file = dir.join("demo-ca.pem");
    std::fs::write(&ca_file, sim.ca_cert_pem().unwrap_or_default())?;
    let mut store = ProfileStore::open(&dir)?;
    let mut profile =
        store.find(DEMO_PROFILE_NAME).cloned().unwrap_or_else(|| Profile::new(Engine::Redshift));
    profile.name = DEMO_PROFILE_NAME.into();
    profile.host = "localhost".into();
    profile.port = sim.port();
    profile.user = "admin".into();
    profile.database = "dev".into();
    profile.sslmode = SslMode::VerifyFull;
    profile.ca_file = Some(ca_file);
    profile.password_mode = SecretMode::AskEveryTime;
    profile.notes = format!(
        "Local Redshift simulator (not a real cluster). Admin password: {}. Schemas: sales (ETL owner etl_loader, late-binding view), marketing, \"Finance Data\", external spectrum_events, datashare partner_share.",
        redshift_sim::ADMIN_PASSWORD
    );
    let id = profile.id.clone();
    store.upsert(profile)?;
    let secrets = Arc::new(MemorySecretStore::default());
    secrets.set(&SecretKey::db_password(&id), redshift_sim::ADMIN_PASSWORD)?;
    Ok((sim, dir, secrets))
}

/// What `demo --no-gui` prints: the CA path and ready connection strings for psql, libpq URIs and
/// AWS's Python driver (which trusts the system store, so the CA goes in `SSL_CERT_FILE`).
pub fn connection_help(port: u16, ca_file: &std::path::Path) -> String {
    let ca = ca_file.display();
    let pw = redshift_sim::ADMIN_PASSWORD;
    format!(
        "CA certificate: {ca}\n\
         Connection string: host=localhost port={port} dbname=dev user=admin sslmode=verify-full sslrootcert={ca}\n\
         psql: PGPASSWORD='{pw}' psql \"host=localhost port={port} dbname=dev user=admin sslmode=verify-full sslrootcert={ca}\"\n\
         Python: SSL_CERT_FILE={ca} python3 -c \"import redshift_connector as r; c = r.connect(host='localhost', port={port}, database='dev', user='admin', password='{pw}', sslmode='verify-ca'); cur = c.cursor(); cur.execute('select current_user'); print(cur.fetchall())\"\n"
    )
}

pub fn run(
    config: &Option<PathBuf>,
    port: u16,
    no_gui: bool,
    rt: &tokio::runtime::Runtime,
) -> CliResult {
    let (sim, dir, secrets) = prepare(config, port, rt)?;
    println!(
        "Redshift simulator on {} (user admin, password {}); demo profiles in {}",
        sim.addr(),
        redshift_sim::ADMIN_PASSWORD,
        dir.display()
    );
    let result = if no_gui {
        print!("{}", connection_help(sim.port(), &dir.join("demo-ca.pem")));
        println!("Press Ctrl+C to stop.");
        rt.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        Ok(())
    } else {
        let mut opts = crate::gui::GuiOptions::new(rt.handle().clone());
        opts.config_dir = Some(dir);
        opts.secrets = Some(secrets);
        crate::gui::run(opts).map_err(CliError::new)
    };
    rt.block_on(sim.shutdown());
    result
}
