from community.models.user import User

__all__ = ["User"]
