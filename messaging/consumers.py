"""The live socket: every open page of a signed-in person listens on one.

/ws/messages/ carries the header badge counts; /ws/messages/<id>/ also carries that thread's
new messages and "Seen" updates, and is refused (close code 4404, the socket's 404) to anyone
who may not see the conversation. Events name ids only; each socket loads and renders what it
sends for its own person, so nobody receives what they may not see.
"""

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404
from django.template.loader import render_to_string

from accounts.services import presence_touch
from messaging import selectors, services
from messaging.models import Conversation

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404


class MessagingConsumer(AsyncJsonWebsocketConsumer):
    user = None
    conversation_id = None
    group = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        conversation_id = self.scope["url_route"]["kwargs"].get("conversation_id")
        if conversation_id is not None and not await database_sync_to_async(
            selectors.conversation_visible_to
        )(user_id=user.pk, conversation_id=conversation_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.user = user
        self.conversation_id = conversation_id
        self.group = services.user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await database_sync_to_async(presence_touch)(user_id=user.pk)
        await self.send_json(await database_sync_to_async(self._counts)())

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or self.user is None:
            return
        kind = content.get("type")
        if kind == "ping":
            # Sent only while the page is visible: the person is using the app.
            await database_sync_to_async(presence_touch)(user_id=self.user.pk)
            await self.send_json({"type": "pong"})
        elif kind == "read" and self.conversation_id is not None:
            await database_sync_to_async(self._mark_read)(content.get("message_id"))

    async def messaging_event(self, event):
        """A service told this person's pages that something changed."""
        if event.get("kind") == "account_closed":
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        try:
            payloads = await database_sync_to_async(self._payloads)(event)
        except Exception:
            logger.exception("could not prepare a live update for user %s", self.user.pk)
            return
        for payload in payloads:
            await self.send_json(payload)

    # --- Synchronous parts, run in a worker thread ---------------------------------------

    def _counts(self):
        found = selectors.unread_counts(user=self.user)
        return {
            "type": "counts",
            "messages": found["messages"],
            "requests": found["requests"],
            "total": found["messages"] + found["requests"],
        }

    def _conversation(self):
        try:
            return selectors.conversation_get_for_participant(
                user=self.user, conversation_id=self.conversation_id
            )
        except Http404:
            return None

    def _mark_read(self, message_id):
        conversation = self._conversation()
        if conversation is None or conversation.status != Conversation.Status.ACCEPTED:
            return
        try:
            through = int(message_id) if message_id else None
        except (TypeError, ValueError):
            return
        services.message_mark_read(
            conversation=conversation, user=self.user, through_message_id=through
        )

    def _payloads(self, event):
        kind = event.get("kind")
        here = (
            self.conversation_id is not None
            and event.get("conversation_id") == self.conversation_id
        )
        payloads = []
        if here and kind == "message":
            try:
                message = selectors.message_get_for_participant(
                    user=self.user, message_id=event.get("message_id")
                )
            except Http404:
                message = None
            if message is not None:
                payloads.append(
                    {
                        "type": "message",
                        "conversation_id": self.conversation_id,
                        "message_id": message.pk,
                        "mine": message.sender_id == self.user.pk,
                        "html": render_to_string(
                            "messaging/partials/_message.html",
                            {"message": message, "viewer": self.user},
                        ),
                    }
                )
        elif here and kind == "read" and event.get("reader_id") != self.user.pk:
            conversation = self._conversation()
            if conversation is not None:
                payloads.append(
                    {
                        "type": "seen",
                        "conversation_id": self.conversation_id,
                        "message_id": selectors.seen_message_id(
                            conversation=conversation, viewer=self.user
                        ),
                    }
                )
        elif here and kind in ("conversation", "closed"):
            payloads.append(
                {"type": kind, "conversation_id": self.conversation_id, "state": event.get("state")}
            )
        payloads.append(self._counts())
        return payloads
