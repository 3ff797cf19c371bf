"""The footage-access register (第二十、二十一条; 799号令 第十六条): who read, copied or took which footage, why."""
