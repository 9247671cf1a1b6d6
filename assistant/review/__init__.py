"""The teacher's review web app (local only), its sign-in, and the exports."""
