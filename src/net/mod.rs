//! Network side of a connection: the staged connect, the SSH tunnel, sslmode → rustls verifier,
//! wire observation.
pub mod connect;
pub mod credentials;
pub mod known_hosts;
pub mod ssh;
pub mod ssh_auth;
pub mod ssh_config;
mod ssh_hop;
pub mod tls;
pub mod wire;
