"""What happens to teams, for the apps above teams (routes, notifications) to act on, so teams never imports
them. Sent inside the transaction that writes the change."""

from django.dispatch import Signal

# A team change is about to be saved, under the team's row lock: team (carrying its changes), namespaces (the
# (cluster, namespace) pairs it is to have). Each receiver returns {team field: [messages]} naming what the change
# would leave outside the team's new policy; any message refuses the change (409).
team_policy_changing = Signal()

# Auto-approval was turned on for a team: team, actor.
auto_approve_enabled = Signal()
