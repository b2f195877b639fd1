"""Mail: messages from templates (text and HTML, with the app's name) and the senders.

Imports nothing else of ours, like the CometChat client: the server hands it settings' values.
"""

from cometchat_auth.mail.folder import MailFolder
from cometchat_auth.mail.messages import MAIL_SEND, NO_MAIL, Mail, Mailer, Sender
from cometchat_auth.mail.smtp import SmtpSender

__all__ = ["MAIL_SEND", "NO_MAIL", "Mail", "MailFolder", "Mailer", "Sender", "SmtpSender"]
