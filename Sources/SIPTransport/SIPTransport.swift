// SIPTransport: module marker; its types live in their own files.
