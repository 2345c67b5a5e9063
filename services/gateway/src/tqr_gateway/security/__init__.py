"""HTTP-level protections of the gateway: response headers, CSRF, body size and rate limits."""
