//! Redshift simulator on the PostgreSQL wire protocol.
