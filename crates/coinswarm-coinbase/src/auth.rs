//! CDP API keys and the JWT Coinbase wants with every authenticated request: a fresh token
//! per request, signed ES256 for ECDSA keys (given as SEC1 PEM, `-----BEGIN EC PRIVATE
//! KEY-----`, often with literal `\n`) or EdDSA for Ed25519 keys (base64 of the 32-byte
//! seed, or of seed and public key, 64 bytes). Header: `alg`, `kid` (the key name), `typ`,
//! a random `nonce`; claims: `iss` "cdp", `sub` (the key name), `nbf`, `exp` = nbf + 120 s,
//! and `uri` "METHOD host/path" (WebSocket tokens carry no `uri`).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer;
use p256::pkcs8::DecodePrivateKey;
use rand::RngCore;
use serde_json::json;

/// Seconds a token is valid.
pub const TOKEN_LIFETIME_SECS: i64 = 120;

/// Why a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the key name is empty (expected organizations/…/apiKeys/…)")]
    EmptyName,
    #[error(
        "the private key is neither an EC private key in PEM (-----BEGIN EC PRIVATE KEY-----) nor a base64 Ed25519 key: {0}"
    )]
    Unreadable(String),
}

enum Signing {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
}

/// A CDP API key: its name and private key.
pub struct CdpKey {
    name: String,
    signing: Signing,
}

impl std::fmt::Debug for CdpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("CdpKey").field("name", &self.name).field("algorithm", &self.algorithm()).finish()
    }
}

impl CdpKey {
    /// A key from its name and private key text, as Coinbase hands them out.
    pub fn new(name: &str, private_key: &str) -> Result<Self, KeyError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(KeyError::EmptyName);
        }
        let text = private_key.trim().trim_matches('"').replace("\\n", "\n");
        let signing = if text.contains("-----BEGIN") {
            Signing::Es256(es256_key(&text)?)
        } else {
            Signing::EdDsa(ed25519_key(&text)?)
        };
        Ok(Self { name: name.to_string(), signing })
    }

    /// A fresh random key (`ES256` or `EdDSA`), for benchmarks and tests.
    pub fn random(name: &str, algorithm: &str) -> Result<Self, KeyError> {
        loop {
            let mut seed = [0u8; 32];
            rand::rng().fill_bytes(&mut seed);
            let signing = match algorithm {
                "ES256" => match p256::SecretKey::from_slice(&seed) {
                    Ok(secret) => Signing::Es256(p256::ecdsa::SigningKey::from(secret)),
                    Err(_) => continue, // a seed outside the curve's order: draw again
                },
                "EdDSA" => Signing::EdDsa(ed25519_dalek::SigningKey::from_bytes(&seed)),
                other => return Err(KeyError::Unreadable(format!("unknown algorithm {other}"))),
            };
            return Ok(Self { name: name.to_string(), signing });
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ES256` or `EdDSA`.
    pub fn algorithm(&self) -> &'static str {
        match self.signing {
            Signing::Es256(_) => "ES256",
            Signing::EdDsa(_) => "EdDSA",
        }
    }

    /// The token for one REST request: `uri` is "METHOD host/path" (no scheme, no query).
    pub fn rest_token(&self, method: &str, host: &str, path: &str, now_secs: i64) -> String {
        self.token(Some(format!("{method} {host}{path}")), now_secs)
    }

    /// The token for a WebSocket subscription (no `uri`).
    pub fn websocket_token(&self, now_secs: i64) -> String {
        self.token(None, now_secs)
    }

    fn token(&self, uri: Option<String>, now_secs: i64) -> String {
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let header = json!({"alg": self.algorithm(), "kid": self.name, "nonce": hex::encode(nonce), "typ": "JWT"});
        let mut claims = json!({
            "iss": "cdp",
            "sub": self.name,
            "nbf": now_secs,
            "exp": now_secs + TOKEN_LIFETIME_SECS,
        });
        if let Some(uri) = uri {
            claims["uri"] = json!(uri);
        }
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = match &self.signing {
            Signing::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
                signature.to_bytes().to_vec()
            }
            Signing::EdDsa(key) => key.sign(signing_input.as_bytes()).to_bytes().to_vec(),
        };
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The public key as a verifier would hold it (for tests and mocks).
    pub fn verifying_key(&self) -> VerifyingKey {
        match &self.signing {
            Signing::Es256(key) => VerifyingKey::Es256(*key.verifying_key()),
            Signing::EdDsa(key) => VerifyingKey::EdDsa(key.verifying_key()),
        }
    }
}

fn es256_key(pem: &str) -> Result<p256::ecdsa::SigningKey, KeyError> {
    // Coinbase's keys are SEC1 (`EC PRIVATE KEY`); PKCS#8 (`PRIVATE KEY`) is taken too.
    let secret = p256::SecretKey::from_sec1_pem(pem)
        .or_else(|_| p256::SecretKey::from_pkcs8_pem(pem))
        .map_err(|e| KeyError::Unreadable(e.to_string()))?;
    Ok(p256::ecdsa::SigningKey::from(secret))
}

fn ed25519_key(text: &str) -> Result<ed25519_dalek::SigningKey, KeyError> {
    let bytes = STANDARD
        .decode(text.split_whitespace().collect::<String>())
        .map_err(|e| KeyError::Unreadable(e.to_string()))?;
    let seed: [u8; 32] = match bytes.len() {
        32 | 64 => bytes[..32].try_into().map_err(|_| KeyError::Unreadable("bad length".into()))?,
        n => return Err(KeyError::Unreadable(format!("an Ed25519 key is 32 or 64 bytes, this one {n}"))),
    };
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    if bytes.len() == 64 && key.verifying_key().as_bytes() != &bytes[32..] {
        return Err(KeyError::Unreadable("the public half does not match the seed".into()));
    }
    Ok(key)
}

/// A public key that checks tokens.
#[derive(Debug, Clone)]
pub enum VerifyingKey {
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub kid: String,
    pub nonce: String,
    pub sub: String,
    pub nbf: i64,
    pub exp: i64,
    pub uri: Option<String>,
}

impl VerifyingKey {
    /// Checks a token's signature, algorithm and shape; the caller checks times and `uri`.
    pub fn verify(&self, token: &str) -> Result<VerifiedToken, String> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header64, claims64, signature64] = parts[..] else { return Err("not three parts".into()) };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
        let header: serde_json::Value = serde_json::from_slice(&decode(header64)?).map_err(|e| e.to_string())?;
        let claims: serde_json::Value = serde_json::from_slice(&decode(claims64)?).map_err(|e| e.to_string())?;
        let signature = decode(signature64)?;
        let message = format!("{header64}.{claims64}");
        let alg = header["alg"].as_str().unwrap_or_default();
        match self {
            VerifyingKey::Es256(key) => {
                use p256::ecdsa::signature::Verifier;
                if alg != "ES256" {
                    return Err(format!("alg {alg}, expected ES256"));
                }
                let signature = p256::ecdsa::Signature::from_slice(&signature).map_err(|e| e.to_string())?;
                key.verify(message.as_bytes(), &signature).map_err(|e| format!("bad signature: {e}"))?;
            }
            VerifyingKey::EdDsa(key) => {
                if alg != "EdDSA" {
                    return Err(format!("alg {alg}, expected EdDSA"));
                }
                let signature = ed25519_dalek::Signature::from_slice(&signature).map_err(|e| e.to_string())?;
                key.verify_strict(message.as_bytes(), &signature).map_err(|e| format!("bad signature: {e}"))?;
            }
        }
        if claims["iss"] != "cdp" || header["typ"] != "JWT" {
            return Err("iss must be cdp and typ JWT".into());
        }
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string).ok_or("missing field".to_string());
        Ok(VerifiedToken {
            kid: text(&header["kid"])?,
            nonce: text(&header["nonce"])?,
            sub: text(&claims["sub"])?,
            nbf: claims["nbf"].as_i64().ok_or("missing nbf")?,
            exp: claims["exp"].as_i64().ok_or("missing exp")?,
            uri: claims["uri"].as_str().map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A P-256 key in SEC1 PEM with literal `\n`, as Coinbase's key file gives it.
    pub const EC_PEM: &str = "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEILBMmlLqCXoQ5RX5ceriTXxqwhsxi5Pjm2bBtC36NlLToAoGCCqGSM49\\nAwEHoUQDQgAE9wFNCFH4hWrbCkP879O+5qOUJraeNVvNEkYneMVrjntwiWN9x6GB\\nc6FFX4dzrGaVDzdNTM9ZhB/dq+w5Nuw48A==\\n-----END EC PRIVATE KEY-----\\n";

    #[test]
    fn an_ecdsa_key_signs_es256_tokens_with_the_claims_coinbase_checks() {
        let key = CdpKey::new("organizations/o/apiKeys/k", EC_PEM).unwrap();
        assert_eq!(key.algorithm(), "ES256");
        let token = key.rest_token("GET", "api.coinbase.com", "/api/v3/brokerage/accounts", 1_700_000_000);
        let verified = key.verifying_key().verify(&token).unwrap();
        assert_eq!(verified.kid, "organizations/o/apiKeys/k");
        assert_eq!(verified.sub, verified.kid);
        assert_eq!((verified.nbf, verified.exp), (1_700_000_000, 1_700_000_120));
        assert_eq!(verified.uri.as_deref(), Some("GET api.coinbase.com/api/v3/brokerage/accounts"));
        assert_eq!(verified.nonce.len(), 32);
        // A fresh nonce each time; a changed byte fails.
        let again = key.rest_token("GET", "api.coinbase.com", "/api/v3/brokerage/accounts", 1_700_000_000);
        assert_ne!(token, again);
        let mut tampered = token.clone().into_bytes();
        let at = tampered.len() - 5;
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        assert!(key.verifying_key().verify(&String::from_utf8(tampered).unwrap()).is_err());
        assert_eq!(key.websocket_token(5).split('.').count(), 3);
        assert_eq!(key.verifying_key().verify(&key.websocket_token(5)).unwrap().uri, None);
    }

    #[test]
    fn an_ed25519_key_signs_eddsa_tokens() {
        let seed = [7u8; 32];
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let both: Vec<u8> = seed.iter().chain(public.as_bytes()).copied().collect();
        for text in [STANDARD.encode(seed), STANDARD.encode(&both)] {
            let key = CdpKey::new("key-id", &text).unwrap();
            assert_eq!(key.algorithm(), "EdDSA");
            let token = key.rest_token("POST", "127.0.0.1:9", "/api/v3/brokerage/orders", 10);
            assert_eq!(
                key.verifying_key().verify(&token).unwrap().uri.as_deref(),
                Some("POST 127.0.0.1:9/api/v3/brokerage/orders")
            );
        }
        let mut wrong = both.clone();
        wrong[40] ^= 1;
        assert!(CdpKey::new("key-id", &STANDARD.encode(wrong)).is_err());
    }

    #[test]
    fn unusable_keys_are_refused_with_the_reason_and_never_printed() {
        assert_eq!(CdpKey::new(" ", EC_PEM).unwrap_err(), KeyError::EmptyName);
        let err = CdpKey::new("k", "-----BEGIN EC PRIVATE KEY-----\nnope\n-----END EC PRIVATE KEY-----").unwrap_err();
        assert!(err.to_string().contains("EC private key"), "{err}");
        assert!(CdpKey::new("k", "c2hvcnQ=").unwrap_err().to_string().contains("32 or 64 bytes"));
        let debug = format!("{:?}", CdpKey::new("k", EC_PEM).unwrap());
        assert!(!debug.contains("MHcC") && debug.contains("ES256"), "{debug}");
    }
}
