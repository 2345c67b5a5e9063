"""gRPC plumbing: the server with health and reflection, clients with deadlines and retries, and
the one table that maps refusals to status codes and back."""
