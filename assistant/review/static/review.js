// Selecting a word plays that answer's recording from the word's time.
document.addEventListener("click", (event) => {
  const word = event.target.closest("button.word");
  if (!word) return;
  const audio = document.getElementById(word.dataset.audio);
  if (!audio) return;
  audio.currentTime = parseFloat(word.dataset.start) || 0;
  audio.play();
});
