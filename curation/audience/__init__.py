"""Follower/following analyses (pure: frames in, results out): ratio bands, follow-back, what moved followers."""
