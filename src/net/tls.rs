//! sslmode semantics on rustls (libpq meanings; see `reference/egui-stack.md` §3.2).
//!
//! * `allow` / `prefer` / `require`: encrypt, accept any certificate (handshake signatures are still
//!   checked). Unlike libpq, a CA file with `require` does NOT silently upgrade to `verify-ca`; profile
//!   validation tells the user to pick verify-ca instead.
//! * `verify-ca`: the chain must lead to a trusted root; the host name is not checked.
//! * `verify-full`: chain and host name.
//!
//! Roots: the profile's CA file, else the Mozilla roots from `webpki-roots` (Redshift's ACM
//! certificates chain to them). The verifier records what it saw so the report can show subject,
//! issuer, expiry and what was verified.

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use shiftgate_core::diagnose::TlsProblem;
use shiftgate_core::profile::SslMode;
use shiftgate_core::report::TlsInfo;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What the verifier saw during one handshake.
#[derive(Debug, Default, Clone)]
pub struct CertRecord {
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
    pub dns_names: Vec<String>,
    pub verified_chain: bool,
    pub verified_host: bool,
    pub problem: Option<TlsProblem>,
}

pub type SharedCertRecord = Arc<Mutex<CertRecord>>;

/// The crypto provider for database TLS: *ring*. aws-lc-rs (still used by russh) costs ~45 ms of
/// random-generator start-up on the first handshake of every process, which dominated a CLI test.
/// P-256 is offered first: PostgreSQL's default `ssl_ecdh_curve` is prime256v1 only, so leading
/// with X25519 costs a HelloRetryRequest (one more round trip, which matters over a WAN).
fn provider() -> Arc<CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups.sort_by_key(|g| g.name() != rustls::NamedGroup::secp256r1);
    Arc::new(provider)
}

/// Load roots: the CA file if given, else webpki-roots. Returns the store and a label for the report.
pub fn load_roots(ca_file: Option<&Path>) -> Result<(RootCertStore, String), TlsProblem> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| TlsProblem::CaFile {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let mut count = 0;
            for cert in CertificateDer::pem_slice_iter(&bytes) {
                let cert = cert.map_err(|e| TlsProblem::CaFile {
                    path: path.display().to_string(),
                    reason: format!("not a PEM certificate ({e})"),
                })?;
                roots.add(cert).map_err(|e| TlsProblem::CaFile {
                    path: path.display().to_string(),
                    reason: format!("certificate rejected: {e}"),
                })?;
                count += 1;
            }
            if count == 0 {
                return Err(TlsProblem::CaFile {
                    path: path.display().to_string(),
                    reason: "no certificate found in it".into(),
                });
            }
            Ok((roots, path.display().to_string()))
        }
        None => {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            Ok((roots, "built-in web roots (webpki-roots)".into()))
        }
    }
}

/// A verifier implementing one sslmode and recording what it saw.
#[derive(Debug)]
struct SslModeVerifier {
    mode: SslMode,
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    record: SharedCertRecord,
}

fn describe_cert(der: &CertificateDer<'_>, rec: &mut CertRecord) {
    if let Ok((_, cert)) = x509_parser::parse_x509_certificate(der.as_ref()) {
        rec.subject = cert.subject().to_string();
        rec.issuer = cert.issuer().to_string();
        rec.not_after = cert
            .validity()
            .not_after
            .to_rfc2822()
            .unwrap_or_else(|_| cert.validity().not_after.to_string());
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    x509_parser::extensions::GeneralName::DNSName(d) => {
                        rec.dns_names.push(d.to_string())
                    }
                    x509_parser::extensions::GeneralName::IPAddress(ip) => {
                        let text = match ip.len() {
                            4 => std::net::IpAddr::from(<[u8; 4]>::try_from(*ip).unwrap_or([0; 4]))
                                .to_string(),
                            16 => {
                                std::net::IpAddr::from(<[u8; 16]>::try_from(*ip).unwrap_or([0; 16]))
                                    .to_string()
                            }
                            _ => continue,
                        };
                        rec.dns_names.push(text);
                    }
                    _ => {}
                }
            }
        }
    }
}

fn classify(err: &rustls::Error, names: &[String]) -> TlsProblem {
    match err {
        rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            TlsProblem::HostnameMismatch { names: names.to_vec() }
        }
        rustls::Error::InvalidCertificate(CertificateError::Expired)
        | rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
        | rustls::Error::InvalidCertificate(CertificateError::NotValidYet)
        | rustls::Error::InvalidCertificate(CertificateError::NotValidYetContext { .. }) => {
            TlsProblem::Expired
        }
        rustls::Error::InvalidCertificate(_) => TlsProblem::UntrustedCertificate,
        _ => TlsProblem::Other,
    }
}

impl ServerCertVerifier for SslModeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut rec = CertRecord::default();
        describe_cert(end_entity, &mut rec);
        let outcome = if self.mode.verifies_chain() {
            match self.webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Ok(v) => {
                    rec.verified_chain = true;
                    // verify-ca does not require the name; report it as not checked.
                    rec.verified_host = self.mode == SslMode::VerifyFull;
                    Ok(v)
                }
                Err(e) => {
                    let problem = classify(&e, &rec.dns_names);
                    if self.mode == SslMode::VerifyCa
                        && matches!(problem, TlsProblem::HostnameMismatch { .. })
                    {
                        // verify-ca: the chain was fine (name checks come last in webpki), only the name differs.
                        rec.verified_chain = true;
                        Ok(ServerCertVerified::assertion())
                    } else {
                        rec.problem = Some(problem);
                        Err(e)
                    }
                }
            }
        } else {
            Ok(ServerCertVerified::assertion())
        };
        if let Ok(mut slot) = self.record.lock() {
            *slot = rec;
        }
        outcome
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A client configuration for `mode`, recording into `record`; also returns the roots' label.
pub fn client_config(
    mode: SslMode,
    ca_file: Option<&Path>,
    record: SharedCertRecord,
) -> Result<(Arc<ClientConfig>, String), TlsProblem> {
    let provider = provider();
    let (roots, label) = if mode.verifies_chain() {
        load_roots(ca_file)?
    } else {
        (load_roots(None)?.0, "nothing (certificate not checked)".into())
    };
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|_| TlsProblem::Other)?;
    let verifier = Arc::new(SslModeVerifier { mode, webpki, provider: provider.clone(), record });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| TlsProblem::Other)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok((Arc::new(config), label))
}

/// Combine the verifier's record with session facts into the report's TLS section.
pub fn tls_info(rec: &CertRecord, protocol: String, cipher: String, roots_label: &str) -> TlsInfo {
    TlsInfo {
        protocol,
        cipher,
        subject: rec.subject.clone(),
        issuer: rec.issuer.clone(),
        not_after: rec.not_after.clone(),
        verified_chain: rec.verified_chain,
        verified_host: rec.verified_host,
        verified_against: if rec.verified_chain { roots_label.to_string() } else { String::new() },
    }
}
