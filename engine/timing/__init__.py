"""Time: the clock every command runs at, the working-day calendar and its holidays, deadlines, timers and
scheduled starts."""
