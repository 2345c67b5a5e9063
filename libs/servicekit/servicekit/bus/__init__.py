"""The event bus on RabbitMQ: one durable topic exchange, a quorum queue per consumer."""
