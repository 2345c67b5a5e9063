"""The identity service's pure domain: rules about documents, contacts, passwords and dates."""
