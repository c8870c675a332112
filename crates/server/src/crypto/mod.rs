//! Token cryptography: signing keys ([`keys`]), the key ring that rotates them ([`ring`]),
//! and sealing of private keys at rest ([`seal`]).

pub mod keys;
pub mod ring;
pub mod seal;
