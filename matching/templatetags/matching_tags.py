from django import template

from matching import presenters

register = template.Library()


@register.simple_tag
def goal_sentence(pair, person):
    """The sentence for one complementary goal pair, about `person` (autoescaped)."""
    my_goal, their_goal = pair
    return presenters.goal_sentence(my_goal, their_goal, person.name)


@register.filter
def more_shared(reasons, shown):
    return presenters.more_shared(reasons, shown)
