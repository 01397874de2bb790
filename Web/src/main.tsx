import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { AdminPage } from "./admin/AdminPage";
import "./style.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    {location.hash === "#admin" ? <AdminPage /> : <App />}
  </StrictMode>,
);
