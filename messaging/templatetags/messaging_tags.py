"""Template helpers for messaging pages."""

from django import template

from profiles import reasons as wording

register = template.Library()


@register.simple_tag
def request_reasons(conversation):
    """Why the sender of a request and its recipient would get along, for the recipient.

    From the snapshot the request carries (Conversation.reasons, the sender's view): the
    score, the shared interests and values as chips (shown, folded) and the goals that fit,
    said to the recipient about the sender. None when there is nothing to show.
    """
    snapshot = conversation.reasons or {}
    shown, folded = wording.reason_chips(snapshot)
    sender = conversation.initiator
    name = sender.profile.name if hasattr(sender, "profile") else ""
    # Stored as [sender's goal, recipient's goal]; the sentences speak to the recipient.
    turned = [pair[::-1] for pair in snapshot.get("goals", []) if len(pair) == 2]
    sentences = wording.goal_sentences(turned, name)
    score = snapshot.get("score")
    if not (shown or sentences or score is not None):
        return None
    return {"score": score, "shown": shown, "folded": folded, "sentences": sentences}
