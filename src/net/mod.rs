//! Network side of a connection: the staged connect, the SSH tunnel, sslmode → rustls verifier,
//! wire observation.
pub mod aws_http;
pub mod connect;
pub mod credentials;
pub mod iam;
pub mod known_hosts;
pub mod ssh;
pub mod ssh_auth;
pub mod ssh_config;
mod ssh_hop;
pub mod stage;
pub mod tls;
pub mod wire;
