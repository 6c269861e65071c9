"""What happens to routes, for the apps above routes (notifications) to act on, so routes never imports them.

Each is sent once, by the function that makes the change, inside its transaction where there is one: rows a
receiver writes (a notification's deliveries) commit or roll back with the change.
"""

from django.dispatch import Signal

# A revision waits for review: route, actor (the user who submitted it).
revision_submitted = Signal()

# A revision was approved or rejected: route, decision (ApprovalChoices.APPROVED or REJECTED), actor (None when
# approved automatically), comment.
revision_reviewed = Signal()

# The route's health changed and was saved: route (with its new health), previous (the health before).
route_health_changed = Signal()

# The health of many routes changed and was saved at once (a cluster sync): changes, a list of (route, previous).
# Receivers handle them together, so a sync that changes thousands of routes costs a few queries, not thousands.
routes_health_changed = Signal()
