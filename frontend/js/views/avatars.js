// People's avatars over their initials (drawn as text by whoever shows them: the timeline, the
// members panel, the profile settings): the image of a user's `avatar_url`, fetched with the bearer
// header (never a token in a URL) into an object URL cached by that path. The path changes
// whenever the image does, so a person's older one is revoked once a newer one shows (`AvatarUrls`).
// Loaded with the session.
import { h } from './dom.js';
import { AvatarUrls } from '../avatars.js';
import { profileApi } from '../profile-api.js';

/** api: the Api client. Returns {fill(el, user), url(user)}. */
export function initAvatars({ api }) {
  const profile = profileApi(api);
  const urls = new AvatarUrls({ load: (path) => profile.avatarBlob(path) });
  return {
    /** Puts `user`'s image into `el` (their initials) once it is loaded; nothing without one (or when it fails). */
    fill(el, user) {
      const url = urls.url(user);
      if (!url) return el;
      url.then((src) => {
        if (!src || el.querySelector('img')) return;
        el.append(h('img', { class: 'avatar-img', src, alt: '' }));
        el.classList.add('has-img');
      }).catch(() => { /* the initials stay */ });
      return el;
    },
    /** The object URL of `user`'s avatar (a promise), or null without one. */
    url: (user) => urls.url(user),
  };
}
