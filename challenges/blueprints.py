"""The games' two blueprints: the members' endpoints and the admins'. Each domain's `api`
module adds its routes to them; `init_app` registers them once they are all imported.

Two blueprints, not one per domain: an operation's id is `<blueprint>_<view>`
(`games_submit_attempt`, `games_admin_create_quiz`), and clients generated from the document
keep their names across the package's restructuring.
"""

from __future__ import annotations

from flask_smorest import Blueprint

member_blp = Blueprint(
    "games", __name__, url_prefix="/api/v1", description="Quizzes, challenges, contests"
)
admin_blp = Blueprint(
    "games_admin", __name__, url_prefix="/api/v1/admin", description="Games: definitions"
)
