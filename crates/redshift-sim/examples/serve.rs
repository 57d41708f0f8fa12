//! Serves the sample warehouse until killed, for trying clients by hand:
//! `cargo run -p redshift-sim --example serve -- 127.0.0.1:5439 /tmp/sim-ca.pem`.

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:5439".into());
    let ca = args.next().unwrap_or_else(|| "sim-ca.pem".into());
    let sim = match redshift_sim::run_demo(&bind).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("could not start: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = std::fs::write(&ca, sim.ca_cert_pem().unwrap_or_default()) {
        eprintln!("could not write {ca}: {e}");
        std::process::exit(1);
    }
    println!("listening on {} (CA {ca})", sim.addr());
    let _ = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
}
