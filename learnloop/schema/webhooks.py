"""Webhook endpoints, deliveries and their root fields (ADMIN): Standard Webhooks signing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay

from learnloop.domain.webhooks import DeliveryRecord, EndpointInput, EndpointRecord
from learnloop.resolvers import webhooks as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.errors import UserError
from learnloop.schema.nodes import decode_global_id

ENDPOINT = "WebhookEndpoint"
DELIVERY = "WebhookDelivery"


@strawberry.type(description="A URL this organisation receives signed event deliveries at.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="Global id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    events: list[str] = strawberry.field(description="Subscribed event types.")
    description: str | None = strawberry.field(description="What the endpoint is for.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_record(cls, r: EndpointRecord) -> Self:
        return cls(
            id=strawberry.ID(relay.to_base64(ENDPOINT, r.id)),
            url=r.url,
            events=list(r.events),
            description=r.description,
            created_at=r.created_at,
        )


@strawberry.type(description="One event for one endpoint, and how sending it went.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Global id (for redeliverWebhook).")
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's global id.")
    message_id: str = strawberry.field(description="The webhook-id header of every attempt.")
    event_type: str = strawberry.field(description="e.g. feedback.created.")
    status: str = strawberry.field(description="PENDING, DELIVERED or FAILED (retries spent).")
    attempts: int = strawberry.field(description="Attempts made so far.")
    next_attempt_at: datetime = strawberry.field(description="When a PENDING one is tried next.")
    last_status_code: int | None = strawberry.field(description="The receiver's last answer.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    created_at: datetime = strawberry.field(description="When the event happened.")
    delivered_at: datetime | None = strawberry.field(description="When a 2xx came back.")

    @classmethod
    def from_record(cls, r: DeliveryRecord) -> Self:
        return cls(
            id=strawberry.ID(relay.to_base64(DELIVERY, r.id)),
            endpoint_id=strawberry.ID(relay.to_base64(ENDPOINT, r.endpoint_id)),
            message_id=r.message_id,
            event_type=r.event_type,
            status=r.status,
            attempts=r.attempts,
            next_attempt_at=r.next_attempt_at,
            last_status_code=r.last_status_code,
            last_error=r.last_error,
            created_at=r.created_at,
            delivered_at=r.delivered_at,
        )


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="http(s) URL; private addresses are refused.")
    events: list[str] = strawberry.field(description="Event types, e.g. feedback.created.")
    description: str | None = strawberry.field(default=None, description="What it is for.")


@strawberry.type(description="The endpoint and its signing secret (shown only here).")
class CreateWebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint created.")
    secret: str | None = strawberry.field(description="whsec_ secret; shown only in this response.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was created.")


@strawberry.input(description="An endpoint, by global id.")
class WebhookEndpointIdInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's global id.")


@strawberry.type(description="Whether the endpoint (and its deliveries) was deleted.")
class DeleteWebhookEndpointPayload:
    deleted: bool = strawberry.field(description="True once deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.type(description="The endpoint and its new secret (shown only here).")
class RotateWebhookSecretPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")
    secret: str | None = strawberry.field(
        description="The new whsec_ secret. The previous one keeps signing too (a second "
        "v1 signature) until the next rotation."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="A delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery's global id.")


@strawberry.type(description="The delivery, queued again with a fresh retry schedule.")
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None = strawberry.field(description="The delivery.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.type
class WebhooksQuery:
    @fields.query(description="This organisation's webhook endpoints (ADMIN).")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        return [WebhookEndpoint.from_record(r) for r in await resolve.endpoints(info.context)]

    @fields.query(
        description="Recent deliveries, newest first, optionally of one endpoint (ADMIN)."
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this endpoint's deliveries."),
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="At most this many, newest first.")
        ] = 50,
    ) -> list[WebhookDelivery]:
        endpoint = decode_global_id(endpoint_id, ENDPOINT, "endpointId") if endpoint_id else None
        found = await resolve.deliveries(info.context, endpoint, max(first, 0))
        return [WebhookDelivery.from_record(r) for r in found]


@strawberry.type
class WebhooksMutation:
    @fields.mutation(
        description="Subscribe a URL to events (ADMIN). The signing secret is shown only in "
        "the payload."
    )
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> CreateWebhookEndpointPayload:
        created, problems = await resolve.create_endpoint(
            info.context, EndpointInput(input.url, tuple(input.events), input.description)
        )
        endpoint, secret = created if created else (None, None)
        return CreateWebhookEndpointPayload(
            endpoint=WebhookEndpoint.from_record(endpoint) if endpoint else None,
            secret=secret,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(description="Delete an endpoint and its delivery log (ADMIN).")
    async def delete_webhook_endpoint(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> DeleteWebhookEndpointPayload:
        endpoint_id = decode_global_id(input.id, ENDPOINT, "id")
        deleted, problems = await resolve.delete_endpoint(info.context, endpoint_id)
        return DeleteWebhookEndpointPayload(
            deleted=bool(deleted), user_errors=UserError.from_problems(problems)
        )

    @fields.mutation(description="A new signing secret for an endpoint (ADMIN).")
    async def rotate_webhook_secret(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> RotateWebhookSecretPayload:
        endpoint_id = decode_global_id(input.id, ENDPOINT, "id")
        rotated, problems = await resolve.rotate_secret(info.context, endpoint_id)
        endpoint, secret = rotated if rotated else (None, None)
        return RotateWebhookSecretPayload(
            endpoint=WebhookEndpoint.from_record(endpoint) if endpoint else None,
            secret=secret,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(description="Send a delivery again now, with a fresh retry schedule (ADMIN).")
    async def redeliver_webhook(
        self, info: Info, input: RedeliverWebhookInput
    ) -> RedeliverWebhookPayload:
        delivery_id = decode_global_id(input.delivery_id, DELIVERY, "deliveryId")
        found, problems = await resolve.redeliver(info.context, delivery_id)
        return RedeliverWebhookPayload(
            delivery=WebhookDelivery.from_record(found) if found else None,
            user_errors=UserError.from_problems(problems),
        )
