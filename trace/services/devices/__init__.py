"""Scanner devices (enrolment, listing, revocation), the records they send, and the register of places."""
