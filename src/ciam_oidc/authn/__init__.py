"""Who the person is: login flows, authenticators and browser sessions; nothing about HTTP."""
