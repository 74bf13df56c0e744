"""Requests sent before they carried their reasons get them from the stored matches."""

from django.db import migrations


def backfill(apps, schema_editor):
    Conversation = apps.get_model("messaging", "Conversation")
    Match = apps.get_model("matching", "Match")
    waiting = Conversation.objects.filter(status="pending", reasons={})
    for conversation in waiting.iterator():
        turned_around = False
        match = Match.objects.filter(
            user_id=conversation.initiator_id, candidate_id=conversation.recipient_id
        ).first()
        if match is None:
            turned_around = True
            match = Match.objects.filter(
                user_id=conversation.recipient_id, candidate_id=conversation.initiator_id
            ).first()
        if match is None:
            continue
        reasons = match.reasons or {}
        goals = [list(pair) for pair in reasons.get("goals", []) if len(pair) == 2]
        conversation.reasons = {
            "score": match.score,
            "interests": reasons.get("interests", []),
            "values": reasons.get("values", []),
            "goals": [pair[::-1] for pair in goals] if turned_around else goals,
        }
        conversation.save(update_fields=["reasons"])


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0002_matchstate_new_since"),
        ("messaging", "0002_conversation_reasons"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
