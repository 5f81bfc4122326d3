from community.models.category import Category
from community.models.notification import Notification, NotificationMute
from community.models.post import Post
from community.models.report import Report
from community.models.thread import Thread
from community.models.user import User
from community.models.vote import Vote

__all__ = [
    "Category", "Notification", "NotificationMute", "Post", "Report", "Thread", "User", "Vote",
]
