"""Cryptographic building blocks: password hashing and encryption of personal data at rest."""
