//! Signing keys and JWS compact serialization of access tokens.
//!
//! Keys are parsed once and kept as aws-lc-rs key pairs: jsonwebtoken's `encode` re-parses the
//! PKCS#8 document on every call, which for P-256 costs about as much again as the signature
//! itself. Verification, where a library's strictness matters more than microseconds, goes
//! through jsonwebtoken (see [`super::ring`]).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256,
    RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// JWS algorithms for access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256: the default, the fastest to sign here.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key: for verifiers that know only RSA.
    RS256,
    /// Ed25519.
    EdDSA,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::ES256 => "ES256",
            Algorithm::RS256 => "RS256",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA]
            .into_iter()
            .find(|a| a.as_str() == s)
    }

    pub fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

enum Pair {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A parsed private key with its `kid`, public JWK and ready-made JWS header.
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pair: Pair,
    /// The public key as a JWK, with `kid`, `alg` and `use`.
    pub jwk: serde_json::Value,
    /// base64url of `{"alg":…,"kid":…,"typ":"at+jwt"}`, computed once.
    header_b64: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

impl SigningKey {
    /// A new key; returns it with its PKCS#8 document for storage.
    pub fn generate(alg: Algorithm) -> anyhow::Result<(Self, Vec<u8>)> {
        let rng = SystemRandom::new();
        let pkcs8 = match alg {
            Algorithm::ES256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| anyhow::anyhow!("P-256 key generation failed"))?
                    .as_ref()
                    .to_vec()
            }
            Algorithm::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| anyhow::anyhow!("Ed25519 key generation failed"))?
                .as_ref()
                .to_vec(),
            Algorithm::RS256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?
                .as_der()
                .map_err(|_| anyhow::anyhow!("RSA key encoding failed"))?
                .as_ref()
                .to_vec(),
        };
        let key = Self::from_pkcs8(alg, &pkcs8)?;
        Ok((key, pkcs8))
    }

    /// Parses a stored PKCS#8 document. The `kid` is the key's RFC 7638 thumbprint, so it is
    /// derived, never stored separately from the key it names.
    pub fn from_pkcs8(alg: Algorithm, pkcs8: &[u8]) -> anyhow::Result<Self> {
        let bad = |e: aws_lc_rs::error::KeyRejected| {
            anyhow::anyhow!("stored {} key rejected: {e}", alg.as_str())
        };
        let (pair, public) = match alg {
            Algorithm::ES256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                    .map_err(bad)?;
                // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
                let point = pair.public_key().as_ref().to_vec();
                anyhow::ensure!(
                    point.len() == 65 && point[0] == 4,
                    "unexpected P-256 public key encoding"
                );
                let public = json!({"crv": "P-256", "kty": "EC", "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..])});
                (Pair::Ec(pair), public)
            }
            Algorithm::EdDSA => {
                let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(bad)?;
                let public = json!({"crv": "Ed25519", "kty": "OKP", "x": B64.encode(pair.public_key().as_ref())});
                (Pair::Ed(pair), public)
            }
            Algorithm::RS256 => {
                let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(bad)?;
                let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                let public = json!({"e": B64.encode(&components.e), "kty": "RSA", "n": B64.encode(&components.n)});
                (Pair::Rsa(pair), public)
            }
        };
        let kid = thumbprint(&public)?;
        let mut jwk = public;
        if let Some(obj) = jwk.as_object_mut() {
            obj.insert("kid".into(), json!(kid));
            obj.insert("alg".into(), json!(alg.as_str()));
            obj.insert("use".into(), json!("sig"));
        }
        let header = json!({"alg": alg.as_str(), "kid": kid, "typ": "at+jwt"});
        let header_b64 = B64.encode(serde_json::to_vec(&header)?);
        Ok(Self {
            kid,
            alg,
            pair,
            jwk,
            header_b64,
            rng: SystemRandom::new(),
        })
    }

    /// Signs `claims` (a JSON object) into a compact JWS.
    pub fn sign(&self, claims: &[u8]) -> anyhow::Result<String> {
        let mut token = String::with_capacity(self.header_b64.len() + claims.len() * 4 / 3 + 360);
        token.push_str(&self.header_b64);
        token.push('.');
        B64.encode_string(claims, &mut token);
        let signature = match &self.pair {
            Pair::Ec(pair) => pair
                .sign(&self.rng, token.as_bytes())
                .map_err(|_| anyhow::anyhow!("ES256 signing failed"))?
                .as_ref()
                .to_vec(),
            Pair::Ed(pair) => pair.sign(token.as_bytes()).as_ref().to_vec(),
            Pair::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &self.rng, token.as_bytes(), &mut sig)
                    .map_err(|_| anyhow::anyhow!("RS256 signing failed"))?;
                sig
            }
        };
        token.push('.');
        B64.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
/// `serde_json` keeps object keys sorted (no `preserve_order` feature), and the `json!` calls
/// above hold exactly the required members.
fn thumbprint(public: &serde_json::Value) -> anyhow::Result<String> {
    let canonical = serde_json::to_vec(public)?;
    Ok(B64.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &canonical,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_what_jsonwebtoken_verifies() {
        for alg in [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA] {
            let (key, pkcs8) = SigningKey::generate(alg).expect("generate");
            let reloaded = SigningKey::from_pkcs8(alg, &pkcs8).expect("reload");
            assert_eq!(key.kid, reloaded.kid, "kid is stable across reloads");
            let token = key.sign(br#"{"sub":"x","exp":4102444800}"#).expect("sign");
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk.clone()).expect("jwk");
            let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("decoding key");
            let mut validation = jsonwebtoken::Validation::new(alg.jwt());
            validation.required_spec_claims.clear();
            validation.validate_aud = false;
            let data = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation)
                .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
            assert_eq!(data.header.kid.as_deref(), Some(key.kid.as_str()));
            assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
        }
    }

    #[test]
    fn rfc7638_thumbprint_example() {
        // The RSA example key of RFC 7638 §3.1 and its published thumbprint.
        let jwk = json!({
            "e": "AQAB", "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        });
        assert_eq!(
            thumbprint(&jwk).expect("thumbprint"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
