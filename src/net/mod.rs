//! Network side of a connection: the staged connect, sslmode → rustls verifier, wire observation.
pub mod connect;
pub mod tls;
pub mod wire;
